// A Merkle (hash) tree over the (key, version) pairs of one ring range, for
// anti-entropy between the replicas of that range (anti_entropy.h).
//
// Shape: a complete 16-ary tree of fixed `depth`; leaf i holds the keys whose
// bucket hash (merkle_hash(key, kBucketSeed)) has i as its top 4*depth bits,
// so two replicas put every key in the same leaf whatever else they hold.
// A leaf's hash is the XOR of its entries' hashes (entry = key + version
// digest): a write updates it in O(1) without rereading the other keys of
// the leaf. An inner node's hash is merkle_hash of its 16 children's hashes.
// Inner hashes are recomputed lazily, only along paths with a changed leaf,
// when someone asks for a hash: a burst of writes costs one refresh.
//
// Why a fixed depth rather than a tree that splits by size: both replicas
// must agree on the shape without negotiating, and a fixed shape lets a
// differing subtree be named by (level, index) alone. The depth is chosen
// for the expected keys per range (~16^depth / a few keys per leaf): leaves
// then hold a handful of keys, and repairing k keys exchanges O(k * depth)
// hashes plus the k keys' leaves, independent of the range's size.
//
// Invariants: root() is a pure function of the set of (key, digest) pairs
// (not of the order they were set in); the hash functions are fixed
// (merkle_tree_test checks their values), since replicas of different builds
// must compute equal trees for equal contents.
#ifndef FAULTLINE_NODE_MERKLE_TREE_H_
#define FAULTLINE_NODE_MERKLE_TREE_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faultline/node/version.h"

namespace faultline::node {

// 64-bit FNV-1a over `data` from a seeded basis, finished with murmur3's
// fmix64. Stable across platforms and builds (fixed by tests).
std::uint64_t merkle_hash(std::string_view data, std::uint64_t seed);

// Digest of a key's version: the hash of its record's canonical JSON (merge
// produces siblings in a canonical order), so two replicas holding the same
// record, tombstones and vv siblings included, agree on it.
std::uint64_t version_digest(const Record& r);

// 16 lowercase hex digits; parse_hash64 returns nullopt unless exactly that.
std::string hash_hex(std::uint64_t h);
std::optional<std::uint64_t> parse_hash64(std::string_view hex);

class MerkleTree {
 public:
  static constexpr unsigned kFanout = 16;
  static constexpr int kMaxDepth = 6;  // 16^6 = 16M leaves
  static constexpr std::uint64_t kBucketSeed = 0x6d65726b6c65ULL;  // "merkle"

  // depth in [1, kMaxDepth]; throws std::invalid_argument otherwise.
  explicit MerkleTree(int depth);

  int depth() const { return depth_; }
  // Nodes at `level` (0 = root): 16^level.
  static std::uint64_t width(int level) { return std::uint64_t{1} << (4 * level); }
  std::uint64_t leaf_of(std::string_view key) const;

  // Sets the key's version digest; nullopt removes the key (never written,
  // or its tombstone was purged). O(log of the leaf's size).
  void set(const std::string& key, std::optional<std::uint64_t> digest);
  std::optional<std::uint64_t> get(const std::string& key) const;

  std::uint64_t root();
  // Hash of node `index` at `level` (0 <= level <= depth).
  std::uint64_t hash_at(int level, std::uint64_t index);
  // The 16 children of node `index` at `level` < depth.
  std::array<std::uint64_t, kFanout> children(int level, std::uint64_t index);
  // (key, digest) of one leaf, sorted by key.
  std::vector<std::pair<std::string, std::uint64_t>> leaf_entries(std::uint64_t leaf) const;

  std::size_t size() const { return by_leaf_.size(); }

 private:
  void refresh();
  static std::uint64_t entry_hash(std::string_view key, std::uint64_t digest);

  int depth_;
  std::vector<std::vector<std::uint64_t>> levels_;  // levels_[L]: width(L) hashes
  std::vector<std::uint64_t> dirty_;                // leaves changed since refresh (may repeat)
  std::map<std::pair<std::uint64_t, std::string>, std::uint64_t> by_leaf_;  // (leaf, key) -> digest
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_MERKLE_TREE_H_
