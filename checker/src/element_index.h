// Dense ids for the elements of one set, so per-element state lives in flat
// arrays and a read's contents become a run of 4-byte ids.
//
// Workloads add unique integers that are usually contiguous, so a direct
// table (value - min) is the common path: one load per lookup, no hashing.
// Sparse values fall back to an open-addressing hash table. Ids follow value
// order, so walking ids lists elements sorted.
#ifndef FAULTLINE_CHECKER_SRC_ELEMENT_INDEX_H_
#define FAULTLINE_CHECKER_SRC_ELEMENT_INDEX_H_

#include <cstdint>
#include <vector>

namespace faultline::check::detail {

class ElementIndex {
 public:
  // Duplicates in `values` are fine: they share one id.
  explicit ElementIndex(std::vector<std::int64_t> values);

  std::size_t size() const { return sorted_.size(); }
  std::int64_t value(std::int32_t id) const { return sorted_[static_cast<std::size_t>(id)]; }
  // -1 when `v` is not an element.
  std::int32_t find(std::int64_t v) const {
    if (!table_.empty()) {
      const std::uint64_t off = static_cast<std::uint64_t>(v) - static_cast<std::uint64_t>(lo_);
      return off < table_.size() ? table_[off] : -1;
    }
    return find_hashed(v);
  }

 private:
  std::int32_t find_hashed(std::int64_t v) const;

  std::vector<std::int64_t> sorted_;
  std::int64_t lo_ = 0;
  std::vector<std::int32_t> table_;       // dense: id by value - lo_, -1 for gaps
  std::vector<std::int64_t> slot_value_;  // sparse: open addressing, linear probing
  std::vector<std::int32_t> slot_id_;     // -1 = empty slot
  std::uint64_t mask_ = 0;
};

}  // namespace faultline::check::detail

#endif  // FAULTLINE_CHECKER_SRC_ELEMENT_INDEX_H_
