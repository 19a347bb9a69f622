#include "linearizability/lin_event_list.h"

#include <algorithm>

namespace faultline::check::lin {

EventList::EventList(const std::vector<LinOp>& ops) {
  std::vector<std::uint64_t> events;
  events.reserve(ops.size() * 2);
  for (std::uint32_t i = 0; i < ops.size(); ++i) {
    events.push_back(std::uint64_t{ops[i].call} << 33 | std::uint64_t{i} << 1);
    if (ops[i].ret != kNever) events.push_back(std::uint64_t{ops[i].ret} << 33 | std::uint64_t{i} << 1 | 1);
  }
  std::sort(events.begin(), events.end());
  const auto n = static_cast<std::int32_t>(events.size());
  e_.resize(static_cast<std::size_t>(n) + 2);
  e_[0] = Entry{-1, 1, 0, EntryType::kSentinel, -1};
  e_[static_cast<std::size_t>(n) + 1] = Entry{n, -1, 0, EntryType::kSentinel, -1};
  std::vector<std::uint32_t> by_ret(ops.size());
  for (std::uint32_t i = 0; i < ops.size(); ++i) by_ret[i] = i;
  std::sort(by_ret.begin(), by_ret.end(), [&](std::uint32_t a, std::uint32_t b) {
    return ops[a].ret != ops[b].ret ? ops[a].ret < ops[b].ret : ops[a].call < ops[b].call;
  });
  std::vector<std::uint32_t> rank(ops.size());
  for (std::uint32_t r = 0; r < by_ret.size(); ++r) rank[by_ret[r]] = r;
  std::vector<std::int32_t> call_entry(ops.size(), -1);
  for (std::int32_t k = 0; k < n; ++k) {
    const std::uint64_t ev = events[static_cast<std::size_t>(k)];
    const auto op = static_cast<std::uint32_t>((ev >> 1) & 0xffffffffu);
    const bool is_return = (ev & 1) != 0;
    const EntryType type = !is_return ? EntryType::kCall : ops[op].definite ? EntryType::kReturn : EntryType::kSoftReturn;
    e_[static_cast<std::size_t>(k) + 1] = Entry{k, k + 2, op, type, -1, rank[op]};
    if (is_return) {
      e_[static_cast<std::size_t>(call_entry[op])].match = k + 1;
    } else {
      call_entry[op] = k + 1;
    }
  }
}

}  // namespace faultline::check::lin
