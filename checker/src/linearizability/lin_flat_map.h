// A small open-addressing hash map from 64-bit keys to 32-bit values, for
// the linearizability search's memo tables: no per-entry allocation, no
// std::hash (which is the identity on integers and clusters badly).
#ifndef FAULTLINE_CHECKER_LIN_FLAT_MAP_H_
#define FAULTLINE_CHECKER_LIN_FLAT_MAP_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mix64.h"

namespace faultline::check::lin {

using detail::mix64;

class FlatMap64 {
 public:
  static constexpr std::uint32_t kAbsent = UINT32_MAX;

  FlatMap64() { rehash(16); }

  // The value stored under `key`, or kAbsent.
  std::uint32_t find(std::uint64_t key) const {
    for (std::size_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.value == kAbsent) return kAbsent;
      if (s.key == key) return s.value;
    }
  }

  // Stores `value` (not kAbsent) under a key not yet present.
  void insert(std::uint64_t key, std::uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    place(key, value);
    ++size_;
  }

  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t value = kAbsent;
  };

  void place(std::uint64_t key, std::uint32_t value) {
    std::size_t i = mix64(key) & mask_;
    while (slots_[i].value != kAbsent) i = (i + 1) & mask_;
    slots_[i] = Slot{key, value};
  }

  void rehash(std::size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const Slot& s : old)
      if (s.value != kAbsent) place(s.key, s.value);
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace faultline::check::lin

#endif  // FAULTLINE_CHECKER_LIN_FLAT_MAP_H_
