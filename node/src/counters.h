// Counters a node reports in its status reply; cheap relaxed atomics, since
// they are read only for display and tests.
#ifndef FAULTLINE_NODE_COUNTERS_H_
#define FAULTLINE_NODE_COUNTERS_H_

#include <atomic>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace faultline::node {

struct NodeCounters {
  std::atomic<std::uint64_t> client_requests{0};
  std::atomic<std::uint64_t> client_ok{0};
  std::atomic<std::uint64_t> client_fail{0};   // definitely did not happen
  std::atomic<std::uint64_t> client_info{0};   // may have happened
  std::atomic<std::uint64_t> bad_requests{0};  // malformed or over-limit frames
  std::atomic<std::uint64_t> peer_requests{0};
  std::atomic<std::uint64_t> hints_written{0};   // hints this node sent to a fallback and got acked
  std::atomic<std::uint64_t> hints_stored{0};    // hints this node stored as a fallback
  std::atomic<std::uint64_t> hints_delivered{0}; // hints this node handed off to their owner
  std::atomic<std::uint64_t> hints_expired{0};   // dropped by the hint window
  std::atomic<std::uint64_t> read_repairs{0};    // repair writes sent
  std::atomic<std::uint64_t> bad_contexts{0};    // client vv contexts refused (bad_context)
  std::atomic<std::uint64_t> self_covering{0};   // peer vv siblings whose context covers their dot (dropped)
  std::atomic<std::uint64_t> malformed_siblings{0};  // peer vv siblings without a dot or covered by one beside them (dropped)
  std::atomic<std::uint64_t> bad_peer_records{0};    // peer vv records naming counters beyond clock + 2 * skew (refused)
  std::atomic<std::uint64_t> hints_skipped_window{0};  // hints not created: owner down longer than hint_window_ms

  nlohmann::json to_json() const {
    auto v = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    return {{"client_requests", v(client_requests)}, {"client_ok", v(client_ok)},
            {"client_fail", v(client_fail)},         {"client_info", v(client_info)},
            {"bad_requests", v(bad_requests)},       {"peer_requests", v(peer_requests)},
            {"hints_written", v(hints_written)},     {"hints_stored", v(hints_stored)},
            {"hints_delivered", v(hints_delivered)}, {"hints_expired", v(hints_expired)},
            {"read_repairs", v(read_repairs)},       {"bad_contexts", v(bad_contexts)},
            {"self_covering", v(self_covering)},     {"malformed_siblings", v(malformed_siblings)},
            {"bad_peer_records", v(bad_peer_records)}, {"hints_skipped_window", v(hints_skipped_window)}};
  }
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_COUNTERS_H_
