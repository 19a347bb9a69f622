// Two replicas of one range in one process, for the unit tests and
// node/bench/merkle_bench: an in-memory store with the node's merge rules
// and trees, and a transport that runs each message through the real wire
// path (encode_frame -> parse_frame_body -> parse_ae_request -> AeResponder
// -> encode_frame -> parse_frame_body), so bytes counted here are the bytes
// a node would send.
#ifndef FAULTLINE_NODE_SRC_AE_LOOPBACK_H_
#define FAULTLINE_NODE_SRC_AE_LOOPBACK_H_

#include <map>
#include <set>
#include <string>

#include "anti_entropy/ae_exchange.h"
#include "faultline/node/protocol.h"

namespace faultline::node {

class MemoryAeStore final : public AeStore {
 public:
  MemoryAeStore(RangeTrees& trees, std::uint64_t range, Versioning mode = Versioning::kLwwHlc)
      : trees_(trees), range_(range), mode_(mode) {
    trees_.add_range(range);
  }
  Record get(const std::string& key) override {
    auto it = records_.find(key);
    return it == records_.end() ? Record{} : it->second;
  }
  void apply(const std::string& key, Record incoming, std::function<void(std::optional<std::string>)> done) override {
    applied.insert(key);
    put(key, incoming);
    done(std::nullopt);
  }
  // Merges without counting as a repair (loading data).
  void put(const std::string& key, const Record& incoming) {
    Record& r = records_[key];
    Record m = merge(r, incoming, mode_);
    if (m != r) {
      r = std::move(m);
      trees_.update(range_, key, r);
    }
  }
  const std::map<std::string, Record>& records() const { return records_; }
  std::set<std::string> applied;  // keys an exchange merged into this store

 private:
  RangeTrees& trees_;
  std::uint64_t range_;
  Versioning mode_;
  std::map<std::string, Record> records_;
};

// The initiator's AeSend to `responder`, through the wire encoding.
inline AeSend loopback_send(AeResponder& responder, Limits limits = {}) {
  return [&responder, limits](nlohmann::json request,
                              std::function<void(std::optional<std::string>, nlohmann::json)> cb) {
    request["id"] = 1;
    const std::string frame = encode_frame(request);
    AeRequest parsed;
    try {
      parsed = parse_ae_request(parse_frame_body(std::string_view(frame).substr(kFrameHeaderBytes)), limits);
    } catch (const ProtocolError& e) {
      cb(std::string(e.code) + ": " + e.what(), nlohmann::json());
      return;
    }
    responder.handle(parsed, [cb](nlohmann::json reply) {
      const std::string back = encode_frame(reply);
      cb(std::nullopt, parse_frame_body(std::string_view(back).substr(kFrameHeaderBytes)));
    });
  };
}

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_SRC_AE_LOOPBACK_H_
