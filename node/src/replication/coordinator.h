// The coordinator: any node takes a client get/put/delete, forwards it to
// the key's replicas in parallel, waits for R or W answers within the request
// timeout and answers the client.
//
// Writes. one-phase: stamp with this node's clock (wall for lww-wall, HLC for
// lww-hlc, a fresh dot for vv) and send. two-phase (ABD): first read the
// highest stamp from n-w+1 replicas (so the read meets every write quorum),
// then write with a stamp above it. With strict quorums and blocking read
// repair this makes single-key reads and writes linearizable whatever the
// clocks say.
//
// Hinted handoff: an owner that is dead (membership) or fails/times out gets
// its write sent to the next usable fallback of the preference list as a
// hint naming it; hint acks count toward W only with sloppy_quorum. Sloppy
// reads ask the first N usable nodes of the preference list instead of the
// N owners.
//
// Answers. ok, or an error reply with "outcome":
//   fail - definitely did not happen: nothing was sent (unavailable) or every
//          call failed before delivery or was refused by storage;
//   info - may have happened: some replica or fallback may hold the write.
// Reads never have effects a client could observe, so a failed read is fail.
//
// Reads ask R replicas (this node first) and hold the others back: a failed
// answer asks the next one, and if R answers have not arrived after the
// hedge delay (peer_timeout_ms / 10) all the rest are asked. Async read
// repair asks all N at once (it repairs every replica that answered).
//
// Read repair. blocking: stale replicas among the R answers get the merged
// record before the client is answered, and the read fails unless R replicas
// then hold it (ABD's write-back); async: stale replicas among all answers are
// repaired after answering; none: never.
#ifndef FAULTLINE_NODE_COORDINATOR_H_
#define FAULTLINE_NODE_COORDINATOR_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "faultline/node/config.h"
#include "counters.h"
#include "event_log.h"
#include "hlc.h"
#include "swim/membership.h"
#include "replication/peer_client.h"
#include "faultline/node/protocol.h"
#include "replication/replica.h"
#include "faultline/node/ring.h"
#include "storage/storage.h"

namespace faultline::node {

struct CoordinatorDeps {
  boost::asio::io_context& io;
  const NodeConfig& config;
  const Ring& ring;
  Membership& membership;
  PeerClient& peers;
  Replica& replica;
  Storage& storage;
  HybridClock& clock;
  DotCounter& dots;
  EventLog& log;
  NodeCounters& counters;
};

class Coordinator {
 public:
  using Respond = std::function<void(nlohmann::json)>;
  explicit Coordinator(CoordinatorDeps deps) : d_(deps) {}

  // get / put / delete. `respond` runs exactly once, on some I/O or storage thread.
  void handle(const ClientRequest& request, Respond respond);

  // One call to a replica (this node included), reporting liveness evidence
  // to membership. An "ok": false reply becomes an error, not delivered.
  void call_replica(const std::string& node, PeerOp op, const std::string& key, const Record* record,
                    const std::string& owner, std::function<void(PeerResult)> cb);

  // Per-request state, opaque outside coordinator.cpp.
  struct WriteOp;
  struct ReadGather;

 private:
  using Responses = std::vector<std::pair<std::string, Record>>;

  void get(const ClientRequest& req, Respond respond);
  void write(const ClientRequest& req, Respond respond);
  void write_phase2(std::shared_ptr<WriteOp> op, const std::vector<std::string>& owners);
  void send_owner_write(std::shared_ptr<WriteOp> op, const std::string& owner);
  void send_hint(std::shared_ptr<WriteOp> op, const std::string& owner);
  void finish_write(const std::shared_ptr<WriteOp>& op, std::unique_lock<std::mutex>& lock);

  // Reads `targets` and calls on_quorum once `need` answered (true) or when
  // that became impossible or the deadline passed (false); on_all once every
  // call finished or the deadline passed.
  void gather_reads(const std::string& key, const std::vector<std::string>& targets, std::size_t need,
                    std::function<void(bool, Responses)> on_quorum, std::function<void(Responses)> on_all);
  void ask_replica(const std::shared_ptr<ReadGather>& g, const std::string& node);

  Record merged(const Responses& responses) const;
  nlohmann::json read_reply(const nlohmann::json& id, const Record& r) const;
  std::vector<std::string> read_targets(const std::string& key) const;
  int level(const nlohmann::json& requested, int fallback) const;
  Sibling stamp_new(const ClientRequest& req, const std::optional<Stamp>& after);

  CoordinatorDeps d_;
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_COORDINATOR_H_
