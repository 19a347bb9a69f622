// The replica side of the data path: serves peer.read / peer.write /
// peer.hint from this node's storage. The coordinator calls it directly for
// itself and the server calls it for remote peers, so a node treats itself
// exactly like any other replica.
//
// Invariant: a reply with "ok": false means nothing was stored (the storage
// transaction rolled back), which lets the coordinator count it as a
// definite non-delivery.
#ifndef FAULTLINE_NODE_REPLICA_H_
#define FAULTLINE_NODE_REPLICA_H_

#include <functional>

#include <nlohmann/json.hpp>

#include "faultline/node/counters.h"
#include "faultline/node/event_log.h"
#include "faultline/node/hlc.h"
#include "faultline/node/protocol.h"
#include "faultline/node/storage.h"

namespace faultline::node {

class Replica {
 public:
  using Reply = std::function<void(nlohmann::json)>;
  Replica(Storage& storage, HybridClock& clock, EventLog& log, NodeCounters& counters)
      : storage_(storage), clock_(clock), log_(log), counters_(counters) {}

  // Replies {"id", "ok": true, "record": [...]} for reads, {"id", "ok": true}
  // for writes and hints (after they are durable), or an error reply.
  // `reply` may run on the storage writer thread.
  void handle(const PeerRequest& request, Reply reply);

 private:
  Storage& storage_;
  HybridClock& clock_;
  EventLog& log_;
  NodeCounters& counters_;
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_REPLICA_H_
