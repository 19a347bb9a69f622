#include "anti_entropy/merkle_tree.h"

#include <algorithm>
#include <stdexcept>

#include "fmix64.h"

namespace faultline::node {

namespace {

void put_le64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Seed of an inner node's hash: its level, so equal child hashes at
// different levels do not give equal parents.
constexpr std::uint64_t kInnerSeed = 0x696e6e6572ULL;  // "inner"
constexpr std::uint64_t kEntrySeed = 0x656e747279ULL;  // "entry"
constexpr std::uint64_t kVersionSeed = 0x76657273ULL;  // "vers"

}  // namespace

std::uint64_t merkle_hash(std::string_view data, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ULL ^ fmix64(seed + 0x9e3779b97f4a7c15ULL);
  for (unsigned char ch : data) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  return fmix64(h ^ data.size());
}

std::uint64_t version_digest(const Record& r) { return merkle_hash(to_json(r).dump(), kVersionSeed); }

std::string hash_hex(std::uint64_t h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) s[static_cast<std::size_t>(i)] = kDigits[h & 0xf];
  return s;
}

std::optional<std::uint64_t> parse_hash64(std::string_view hex) {
  if (hex.size() != 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : hex) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}

MerkleTree::MerkleTree(int depth) : depth_(depth) {
  if (depth < 1 || depth > kMaxDepth)
    throw std::invalid_argument("merkle tree depth " + std::to_string(depth) + " not in [1, " +
                                std::to_string(kMaxDepth) + "]");
  levels_.resize(static_cast<std::size_t>(depth) + 1);
  for (int l = 0; l <= depth; ++l) levels_[static_cast<std::size_t>(l)].assign(width(l), 0);
  // Every inner node starts as the hash of empty children, so an empty tree
  // has the same root on every replica without a refresh of all nodes.
  for (int l = depth - 1; l >= 0; --l) {
    std::string buf;
    for (unsigned i = 0; i < kFanout; ++i) put_le64(buf, levels_[static_cast<std::size_t>(l) + 1][0]);
    const std::uint64_t empty = merkle_hash(buf, kInnerSeed + static_cast<std::uint64_t>(l));
    std::fill(levels_[static_cast<std::size_t>(l)].begin(), levels_[static_cast<std::size_t>(l)].end(), empty);
  }
}

std::uint64_t MerkleTree::leaf_of(std::string_view key) const {
  return merkle_hash(key, kBucketSeed) >> (64 - 4 * depth_);
}

std::uint64_t MerkleTree::entry_hash(std::string_view key, std::uint64_t digest) {
  std::string buf(key);
  buf.push_back('\0');
  put_le64(buf, digest);
  return merkle_hash(buf, kEntrySeed);
}

void MerkleTree::set(const std::string& key, std::optional<std::uint64_t> digest) {
  const std::uint64_t leaf = leaf_of(key);
  auto& leaf_hash = levels_[static_cast<std::size_t>(depth_)][leaf];
  auto it = by_leaf_.find({leaf, key});
  if (it != by_leaf_.end()) {
    if (digest && *digest == it->second) return;
    leaf_hash ^= entry_hash(key, it->second);
    if (digest) it->second = *digest;
    else by_leaf_.erase(it);
  } else {
    if (!digest) return;
    by_leaf_.emplace(std::make_pair(leaf, key), *digest);
  }
  if (digest) leaf_hash ^= entry_hash(key, *digest);
  dirty_.push_back(leaf);
}

std::optional<std::uint64_t> MerkleTree::get(const std::string& key) const {
  auto it = by_leaf_.find({leaf_of(key), key});
  if (it == by_leaf_.end()) return std::nullopt;
  return it->second;
}

void MerkleTree::refresh() {
  if (dirty_.empty()) return;
  std::vector<std::uint64_t> nodes = std::move(dirty_);
  dirty_.clear();
  std::string buf;
  for (int l = depth_ - 1; l >= 0; --l) {
    for (auto& n : nodes) n >>= 4;
    std::sort(nodes.begin(), nodes.end());
    nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
    const auto& below = levels_[static_cast<std::size_t>(l) + 1];
    for (auto n : nodes) {
      buf.clear();
      for (unsigned i = 0; i < kFanout; ++i) put_le64(buf, below[n * kFanout + i]);
      levels_[static_cast<std::size_t>(l)][n] = merkle_hash(buf, kInnerSeed + static_cast<std::uint64_t>(l));
    }
  }
}

std::uint64_t MerkleTree::root() { return hash_at(0, 0); }

std::uint64_t MerkleTree::hash_at(int level, std::uint64_t index) {
  if (level < 0 || level > depth_ || index >= width(level)) throw std::out_of_range("merkle node out of range");
  refresh();
  return levels_[static_cast<std::size_t>(level)][index];
}

std::array<std::uint64_t, MerkleTree::kFanout> MerkleTree::children(int level, std::uint64_t index) {
  if (level < 0 || level >= depth_ || index >= width(level)) throw std::out_of_range("merkle node out of range");
  refresh();
  std::array<std::uint64_t, kFanout> out{};
  const auto& below = levels_[static_cast<std::size_t>(level) + 1];
  for (unsigned i = 0; i < kFanout; ++i) out[i] = below[index * kFanout + i];
  return out;
}

std::vector<std::pair<std::string, std::uint64_t>> MerkleTree::leaf_entries(std::uint64_t leaf) const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (auto it = by_leaf_.lower_bound({leaf, std::string()}); it != by_leaf_.end() && it->first.first == leaf; ++it)
    out.emplace_back(it->first.second, it->second);
  return out;
}

}  // namespace faultline::node
