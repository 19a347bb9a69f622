// Inter-node calls: one multiplexed TCP connection per peer, frames as in
// protocol.h, replies matched to calls by "id".
//
// Why one connection with ids rather than one per call: a coordinator fans
// out to N replicas per request, and connection set-up would dominate. Why
// the call reports `maybe_delivered`: the coordinator must tell its client
// whether a failed write definitely did not happen. A call that failed to
// connect was never delivered; one that was written and then timed out or
// lost its connection may have been applied.
//
// Invariants: every call's callback runs exactly once (reply, error or
// timeout), never inline inside call() (except for a peer not in the member
// list, which is a caller bug and fails at once); a timed-out call's late
// reply is dropped.
#ifndef FAULTLINE_NODE_PEER_CLIENT_H_
#define FAULTLINE_NODE_PEER_CLIENT_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "faultline/node/config.h"
#include "faultline/node/protocol.h"

namespace faultline::node {

struct PeerResult {
  std::optional<std::string> error;  // empty: `reply` holds the peer's reply
  nlohmann::json reply;
  bool maybe_delivered = false;  // meaningful when error is set
};

class PeerClient {
 public:
  using Callback = std::function<void(PeerResult)>;

  PeerClient(boost::asio::io_context& io, const std::vector<Member>& members, Limits limits);
  ~PeerClient();

  // Sends `request` to `peer` and calls back once. Unknown peer: error, not delivered.
  void call(const std::string& peer, nlohmann::json request, std::chrono::milliseconds timeout, Callback cb);

  // Closes every connection and fails their calls (shutdown).
  void close_all();

 private:
  class Channel;
  std::map<std::string, std::shared_ptr<Channel>> channels_;
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_PEER_CLIENT_H_
