// The memo of explored search configurations: (key, model state), where the
// key is a few words that the search makes from the configuration's set of
// decided operations, exactly (see SearchImpl::make_key). A 64-bit Zobrist
// hash of the set picks the slot; equality is always checked on the stored
// words, so a hash collision can never merge two configurations. Keys live
// in an arena of fixed-size chunks; every byte is reserved from the shared
// memory meter before it is allocated.
#ifndef FAULTLINE_CHECKER_LIN_CACHE_H_
#define FAULTLINE_CHECKER_LIN_CACHE_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "linearizability/lin_budget.h"
#include "linearizability/lin_flat_map.h"

namespace faultline::check::lin {

class ConfigCache {
 public:
  enum class Insert { kNew, kPresent, kNoMemory };

  // `max_words`: the longest key ever inserted.
  // `expected`: configurations likely to be inserted (0: start small).
  ConfigCache(MemoryMeter& meter, std::size_t max_words, std::size_t expected = 0) : meter_(meter) {
    while (initial_ < 2 * expected && initial_ < (std::size_t{1} << 24)) initial_ *= 2;
    chunk_shift_ = 14;  // 64 KiB chunks: small searches stay cheap to set up
    while ((std::size_t{1} << chunk_shift_) < max_words + 1) ++chunk_shift_;
    chunk_words_ = std::size_t{1} << chunk_shift_;
  }
  ~ConfigCache() { meter_.release(reserved_); }
  ConfigCache(const ConfigCache&) = delete;
  ConfigCache& operator=(const ConfigCache&) = delete;

  Insert insert(std::uint64_t zobrist, std::uint32_t state, const std::uint32_t* words, std::uint32_t n) {
    if ((size_ + 1) * 2 > table_.size() && !grow()) return Insert::kNoMemory;
    const auto tag = static_cast<std::uint32_t>(zobrist >> 32);
    std::size_t i = slot_of(tag, state);
    for (;; i = (i + 1) & mask_) {
      Slot& s = table_[i];
      if (s.offset == kEmpty) break;
      if (s.tag == tag && s.state == state) {
        const std::uint32_t* stored = at(s.offset);
        if (stored[0] == n && same(stored + 1, words, n)) return Insert::kPresent;
      }
    }
    if (used_ + n + 1 > chunks_.size() * chunk_words_) {
      if (!meter_.reserve(chunk_words_ * 4)) return Insert::kNoMemory;
      reserved_ += chunk_words_ * 4;
      used_ = chunks_.size() * chunk_words_;
      chunks_.emplace_back(new std::uint32_t[chunk_words_]);
    }
    std::uint32_t* dest = at(used_);
    dest[0] = n;
    std::memcpy(dest + 1, words, n * sizeof(std::uint32_t));
    table_[i] = Slot{tag, state, used_};
    used_ += n + 1;
    ++size_;
    return Insert::kNew;
  }

  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return reserved_; }

 private:
  static constexpr std::uint64_t kEmpty = UINT64_MAX;
  struct Slot {
    std::uint32_t tag = 0;  // high half of the Zobrist hash
    std::uint32_t state = 0;
    std::uint64_t offset = kEmpty;  // into the arena
  };

  std::uint32_t* at(std::uint64_t offset) {
    return chunks_[offset >> chunk_shift_].get() + (offset & (chunk_words_ - 1));
  }

  static bool same(const std::uint32_t* a, const std::uint32_t* b, std::uint32_t n) {
    for (std::uint32_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }

  bool grow() {
    const std::size_t capacity = table_.empty() ? initial_ : table_.size() * 2;
    const std::size_t bytes = capacity * sizeof(Slot);
    if (!meter_.reserve(bytes)) return false;
    std::vector<Slot> old;
    try {
      old = std::move(table_);
      table_.assign(capacity, Slot{});
    } catch (const std::bad_alloc&) {
      meter_.release(bytes);
      table_ = std::move(old);
      return false;
    }
    reserved_ += bytes;
    mask_ = capacity - 1;
    for (const Slot& s : old) {
      if (s.offset == kEmpty) continue;
      std::size_t i = slot_of(s.tag, s.state);
      while (table_[i].offset != kEmpty) i = (i + 1) & mask_;
      table_[i] = s;
    }
    const std::size_t old_bytes = old.size() * sizeof(Slot);
    old = {};
    meter_.release(old_bytes);
    reserved_ -= old_bytes;
    return true;
  }

  // From what a slot keeps, so growing needs no trip to the arena.
  std::size_t slot_of(std::uint32_t tag, std::uint32_t state) const {
    return mix64(std::uint64_t{tag} << 32 | state) & mask_;
  }

  MemoryMeter& meter_;
  std::vector<Slot> table_;
  std::size_t initial_ = 1024;  // slots in the first table
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  std::size_t chunk_words_;
  unsigned chunk_shift_;
  std::vector<std::unique_ptr<std::uint32_t[]>> chunks_;
  std::uint64_t used_ = 0;  // arena words in use
  std::size_t reserved_ = 0;
};

}  // namespace faultline::check::lin

#endif  // FAULTLINE_CHECKER_LIN_CACHE_H_
