#include "element_index.h"

#include <algorithm>

#include "mix64.h"

namespace faultline::check::detail {

ElementIndex::ElementIndex(std::vector<std::int64_t> values) : sorted_(std::move(values)) {
  std::sort(sorted_.begin(), sorted_.end());
  sorted_.erase(std::unique(sorted_.begin(), sorted_.end()), sorted_.end());
  const std::size_t n = sorted_.size();
  if (n == 0) return;
  lo_ = sorted_.front();
  const std::uint64_t span = static_cast<std::uint64_t>(sorted_.back()) - static_cast<std::uint64_t>(lo_) + 1;
  // A direct table up to 4 slots per element (plus slack for small sets)
  // costs at most 16 bytes per element and beats any hash.
  if (span != 0 && span <= 4 * static_cast<std::uint64_t>(n) + 1024) {
    table_.assign(span, -1);
    for (std::size_t i = 0; i < n; ++i) {
      table_[static_cast<std::uint64_t>(sorted_[i]) - static_cast<std::uint64_t>(lo_)] = static_cast<std::int32_t>(i);
    }
    return;
  }
  std::uint64_t slots = 16;
  while (slots < 2 * n) slots <<= 1;
  mask_ = slots - 1;
  slot_value_.assign(slots, 0);
  slot_id_.assign(slots, -1);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t s = mix64(static_cast<std::uint64_t>(sorted_[i])) & mask_;
    while (slot_id_[s] != -1) s = (s + 1) & mask_;
    slot_value_[s] = sorted_[i];
    slot_id_[s] = static_cast<std::int32_t>(i);
  }
}

std::int32_t ElementIndex::find_hashed(std::int64_t v) const {
  if (slot_id_.empty()) return -1;
  std::uint64_t s = mix64(static_cast<std::uint64_t>(v)) & mask_;
  while (slot_id_[s] != -1) {
    if (slot_value_[s] == v) return slot_id_[s];
    s = (s + 1) & mask_;
  }
  return -1;
}

}  // namespace faultline::check::detail
