// Consistent-hash ring with virtual nodes, placed as Dynamo's "strategy 3":
// the hash space is cut into Q = members x vnodes equal partitions, and each
// member owns exactly `vnodes` of them.
//
// Why not random tokens: with 64 random tokens per member a member's share
// has a coefficient of variation of 1/sqrt(64) = 12.5%, so some member is
// routinely 20-30% over or under; equal partitions make primary ownership
// exact, and the assignment below makes replica load exact too.
//
// Assignment: partitions are dealt in blocks of `members` consecutive
// partitions; each block is a permutation of the members drawn from a PRNG
// seeded by the member ids, re-drawn until no three consecutive partitions
// (across block borders, the ring's wrap included) share an owner. So every
// member owns exactly one partition per block, any N <= 3 consecutive
// partitions are N distinct members (each member is a replica of exactly
// N x vnodes partitions), and the successors of a member differ from block
// to block, so a dead member's fallback load spreads over the others.
//
// A key's partition is its 64-bit hash scaled to [0, Q); its preference list
// is the distinct owners met walking partitions clockwise from there: the
// first N are its replicas, the rest its fallbacks.
//
// Invariants: preference_list(key) holds every member exactly once; the ring
// is a pure function of (sorted member ids, vnodes). Changing the member set
// re-deals every partition: fine for today's static member list; when SWIM
// (issue 7) lets members join at run time, a join must instead claim
// partitions from the most loaded members so that only ~1/M of keys move.
#ifndef FAULTLINE_NODE_RING_H_
#define FAULTLINE_NODE_RING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::node {

// 64-bit hash used for keys (FNV-1a finished with murmur3's fmix64, so keys
// that differ only in their last bytes still land far apart).
std::uint64_t ring_hash(std::string_view data);

class Ring {
 public:
  Ring(std::vector<std::string> member_ids, int vnodes);

  // All members, replicas first (see the invariants above).
  std::vector<std::string> preference_list(std::string_view key) const;
  // The first n of preference_list.
  std::vector<std::string> replicas(std::string_view key, int n) const;

  // Ranges for anti-entropy: partition p holds the keys whose hash scales
  // to p, and every key of it has the same preference list, so a range's
  // replicas are the replicas of any of its keys.
  std::size_t partition_of(std::string_view key) const;
  std::vector<std::string> partition_preference(std::size_t p) const;
  std::vector<std::string> partition_replicas(std::size_t p, int n) const;

  const std::vector<std::string>& members() const { return members_; }
  int vnodes() const { return vnodes_; }
  std::size_t partitions() const { return owners_.size(); }
  // Owner of partition p (for tests and status).
  const std::string& owner(std::size_t p) const { return members_[owners_[p]]; }

 private:
  std::vector<std::string> members_;
  int vnodes_;
  std::vector<std::uint32_t> owners_;  // partition -> member index
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_RING_H_
