// The replica side of the data path: serves peer.read / peer.write /
// peer.hint from this node's storage. The coordinator calls it directly for
// itself and the server calls it for remote peers, so a node treats itself
// exactly like any other replica.
//
// Invariant: a reply with "ok": false means nothing was stored (the storage
// transaction rolled back, or the record was refused before), which lets the
// coordinator count it as a definite non-delivery.
//
// vv peer records (writes, hints): a record naming a counter beyond this
// node's clock plus twice max_clock_skew_ms is refused (bad_request,
// counted bad_peer_records); malformed siblings are dropped by merge and
// counted (self_covering, malformed_siblings); and this node's dot counter
// moves past any counter for itself the record names (version.h).
#ifndef FAULTLINE_NODE_REPLICA_H_
#define FAULTLINE_NODE_REPLICA_H_

#include <functional>

#include <nlohmann/json.hpp>

#include "faultline/node/config.h"
#include "counters.h"
#include "event_log.h"
#include "hlc.h"
#include "faultline/node/protocol.h"
#include "storage/storage.h"

namespace faultline::node {

class Replica {
 public:
  using Reply = std::function<void(nlohmann::json)>;
  Replica(Storage& storage, HybridClock& clock, DotCounter& dots, const NodeConfig& config, EventLog& log,
          NodeCounters& counters)
      : storage_(storage), clock_(clock), dots_(dots), config_(config), log_(log), counters_(counters) {}

  // Replies {"id", "ok": true, "record": [...]} for reads, {"id", "ok": true}
  // for writes and hints (after they are durable), or an error reply.
  // `reply` may run on the storage writer thread.
  void handle(const PeerRequest& request, Reply reply);

 private:
  Storage& storage_;
  HybridClock& clock_;
  DotCounter& dots_;
  const NodeConfig& config_;
  EventLog& log_;
  NodeCounters& counters_;
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_REPLICA_H_
