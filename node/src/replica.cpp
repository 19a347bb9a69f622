#include "faultline/node/replica.h"

namespace faultline::node {

using Json = nlohmann::json;

void Replica::handle(const PeerRequest& req, Reply reply) {
  counters_.peer_requests.fetch_add(1, std::memory_order_relaxed);
  // Every stamp a node sees moves its HLC forward, so a later write it
  // coordinates is stamped after anything it has read or stored.
  if (auto s = max_stamp(req.record)) clock_.update({s->wall, s->logical});
  // merge drops these (version.h); count them so a forging peer shows up.
  for (const auto& s : req.record.siblings)
    if (self_covering(s)) counters_.self_covering.fetch_add(1, std::memory_order_relaxed);
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
