#include "faultline/node/ring.h"

#include <algorithm>
#include <numeric>

#include "fmix64.h"

namespace faultline::node {

namespace {

// Scaling a 64-bit hash to [0, q) by a 128-bit multiply avoids modulo bias.
__extension__ typedef unsigned __int128 U128;

// splitmix64: small, fast and fully specified, so every node (and every
// platform's standard library) deals the same ring.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(next() % n); }
};

// No `window` consecutive entries of `seq` (read cyclically if `wrap`) repeat
// an owner, looking only at positions from `from` on.
bool distinct_windows(const std::vector<std::uint32_t>& seq, std::size_t from, std::size_t window, bool wrap) {
  const std::size_t n = seq.size();
  auto ok_at = [&](std::size_t i) {
    for (std::size_t back = 1; back < window; ++back) {
      if (i < back && !wrap) break;
      if (seq[i] == seq[(i + n - back) % n]) return false;
    }
    return true;
  };
  for (std::size_t i = from; i < n; ++i)
    if (!ok_at(i)) return false;
  // Closing the ring: the first entries now also look back at the last ones.
  for (std::size_t i = 0; wrap && i + 1 < window && i < from; ++i)
    if (!ok_at(i)) return false;
  return true;
}

}  // namespace

std::uint64_t ring_hash(std::string_view data) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a offset basis
  for (unsigned char ch : data) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  return fmix64(h);
}

Ring::Ring(std::vector<std::string> member_ids, int vnodes) : members_(std::move(member_ids)), vnodes_(vnodes) {
  // Sorted, so the ring does not depend on the order members were listed in.
  std::sort(members_.begin(), members_.end());
  members_.erase(std::unique(members_.begin(), members_.end()), members_.end());
  const auto m = static_cast<std::uint32_t>(members_.size());
  if (m == 0 || vnodes_ < 1) return;
  std::uint64_t seed = 0;
  for (const auto& id : members_) seed = fmix64(seed ^ ring_hash(id));
  SplitMix64 rng{seed};
  const std::size_t window = std::min<std::size_t>(m, 3);
  std::vector<std::uint32_t> block(m);
  owners_.reserve(static_cast<std::size_t>(m) * static_cast<std::size_t>(vnodes_));
  for (int b = 0; b < vnodes_; ++b) {
    const std::size_t start = owners_.size();
    const bool last = b + 1 == vnodes_;
    for (int attempt = 0;; ++attempt) {
      std::iota(block.begin(), block.end(), 0u);
      for (std::uint32_t i = m; i > 1; --i) std::swap(block[i - 1], block[rng.below(i)]);
      owners_.resize(start);
      owners_.insert(owners_.end(), block.begin(), block.end());
      // With few members a valid draw can be rare or impossible (m < 3 with
      // window m is always fine; m >= 3 has many valid draws), so give up
      // after a bound rather than loop: balance holds either way.
      if (distinct_windows(owners_, start, window, last) || attempt >= 256) break;
    }
  }
}

std::size_t Ring::partition_of(std::string_view key) const {
  return static_cast<std::size_t>((static_cast<U128>(ring_hash(key)) * owners_.size()) >> 64);
}

std::vector<std::string> Ring::preference_list(std::string_view key) const {
  if (owners_.empty()) return {};
  return partition_preference(partition_of(key));
}

std::vector<std::string> Ring::partition_preference(std::size_t p) const {
  std::vector<std::string> out;
  if (owners_.empty()) return out;
  const std::size_t q = owners_.size();
  std::vector<bool> seen(members_.size(), false);
  for (std::size_t step = 0; step < q && out.size() < members_.size(); ++step) {
    const auto owner = owners_[(p + step) % q];
    if (!seen[owner]) {
      seen[owner] = true;
      out.push_back(members_[owner]);
    }
  }
  return out;
}

std::vector<std::string> Ring::partition_replicas(std::size_t p, int n) const {
  auto list = partition_preference(p);
  if (static_cast<int>(list.size()) > n) list.resize(static_cast<std::size_t>(n));
  return list;
}

std::vector<std::string> Ring::replicas(std::string_view key, int n) const {
  auto list = preference_list(key);
  if (static_cast<int>(list.size()) > n) list.resize(static_cast<std::size_t>(n));
  return list;
}

}  // namespace faultline::node
