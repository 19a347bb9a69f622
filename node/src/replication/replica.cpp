#include "replication/replica.h"

#include <algorithm>

namespace faultline::node {

using Json = nlohmann::json;

void Replica::handle(const PeerRequest& req, Reply reply) {
  counters_.peer_requests.fetch_add(1, std::memory_order_relaxed);
  // Every stamp a node sees moves its HLC forward, so a later write it
  // coordinates is stamped after anything it has read or stored.
  if (auto s = max_stamp(req.record)) clock_.update({s->wall, s->logical});
  if (config_.versioning == Versioning::kVv && (req.op == PeerOp::kWrite || req.op == PeerOp::kHint)) {
    // Dot counters are wall-clock microseconds: no node can have issued one
    // beyond our clock plus twice the skew allowance (a coordinator admits
    // context entries up to its clock plus one allowance). Refused, since
    // stored it would cover that node's real writes for as long.
    const auto bound = static_cast<std::uint64_t>(std::max<std::int64_t>(0, wall_clock_us())) +
                       static_cast<std::uint64_t>(config_.max_clock_skew_ms) * 2000;
    if (auto err = record_error(req.record, bound)) {
      counters_.bad_peer_records.fetch_add(1, std::memory_order_relaxed);
      log_.warn("bad_peer_record", {{"from", req.from}, {"key", req.key}, {"error", *err}});
      reply(error_reply(req.id, errc::kBadRequest, *err));
      return;
    }
    // merge drops these (version.h); count them so a forging peer shows up.
    NormaliseReport dropped;
    (void)normalise(req.record, Versioning::kVv, &dropped);
    if (dropped.self_covering) counters_.self_covering.fetch_add(dropped.self_covering, std::memory_order_relaxed);
    if (dropped.dotless + dropped.covered)
      counters_.malformed_siblings.fetch_add(dropped.dotless + dropped.covered, std::memory_order_relaxed);
    // Lamport: our next dot is above any counter of ours this record names,
    // so a context that names one (even a forged one) cannot cover it.
    dots_.observe(max_own_counter(req.record, config_.node_id));
  }
  switch (req.op) {
    case PeerOp::kPing:
      reply(Json{{"id", req.id}, {"ok", true}});
      return;
    case PeerOp::kRead: {
      Record r;
      try {
        r = storage_.get_with_hints(req.key);
      } catch (const std::exception& e) {
        reply(error_reply(req.id, errc::kStorage, e.what()));
        return;
      }
      reply(Json{{"id", req.id}, {"ok", true}, {"record", to_json(r)}});
      return;
    }
    case PeerOp::kWrite:
      storage_.apply(req.key, req.record, [id = req.id, reply](std::optional<std::string> err, Record) {
        reply(err ? error_reply(id, errc::kStorage, *err) : Json{{"id", id}, {"ok", true}});
      });
      return;
    case PeerOp::kHint:
      storage_.store_hint(req.owner, req.key, req.record, [this, id = req.id, reply, owner = req.owner, key = req.key](std::optional<std::string> err) {
        if (!err) {
          counters_.hints_stored.fetch_add(1, std::memory_order_relaxed);
          log_.debug("hint_stored", {{"owner", owner}, {"key", key}});
        }
        reply(err ? error_reply(id, errc::kStorage, *err) : Json{{"id", id}, {"ok", true}});
      });
      return;
  }
}

}  // namespace faultline::node
