#include "linearizability/lin_kv_model.h"

#include <algorithm>
#include <stdexcept>
#include <nlohmann/json.hpp>

namespace faultline::check::lin {
namespace {

// Polynomial hashing modulo the Mersenne prime 2^61 - 1.
constexpr std::uint64_t kPrime = (std::uint64_t{1} << 61) - 1;
constexpr std::uint64_t kBase = 0x1f3d5b79a2c3e4f1ULL % kPrime;

std::uint64_t mul_mod(std::uint64_t a, std::uint64_t b) {
  const __uint128_t r = static_cast<__uint128_t>(a) * b;
  std::uint64_t x = static_cast<std::uint64_t>(r >> 61) + static_cast<std::uint64_t>(r & kPrime);
  return x >= kPrime ? x - kPrime : x;
}

std::uint64_t add_mod(std::uint64_t a, std::uint64_t b) {
  std::uint64_t x = a + b;
  return x >= kPrime ? x - kPrime : x;
}

std::uint64_t pow_base(std::uint64_t n) {
  std::uint64_t result = 1, b = kBase;
  for (; n != 0; n >>= 1) {
    if (n & 1) result = mul_mod(result, b);
    b = mul_mod(b, b);
  }
  return result;
}

std::uint64_t text_hash(const std::string& s) {
  std::uint64_t h = 0;
  for (unsigned char c : s) h = add_mod(mul_mod(h, kBase), std::uint64_t{c} + 1);
  return h;
}

std::uint64_t bucket(std::uint64_t hash, std::uint64_t len) { return hash ^ (len * 0x9e3779b97f4a7c15ULL); }

std::uint64_t cell_hash(std::uint32_t slot, std::uint32_t state) {
  return mix64((std::uint64_t{slot} << 32 | state) + 0x2545f4914f6cdd1dULL);
}

}  // namespace

KvStrings::KvStrings(const std::vector<std::string>& values) : values_(values) {
  nodes_.push_back(Node{kLeaf, 0, 0, 0, kNone});
  chain_.push_back(FlatMap64::kAbsent);
  by_hash_.insert(bucket(0, 0), 0);
  leaves_.insert(0, 0);
}

std::string KvStrings::content(const Node& node) const {
  std::vector<std::uint32_t> parts{node.value};
  for (std::uint32_t p = node.parent; p != kLeaf; p = nodes_[p].parent) parts.push_back(nodes_[p].value);
  std::string out;
  out.reserve(node.len);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += values_[*it];
  return out;
}

std::string KvStrings::content(std::uint32_t state) const { return content(nodes_[state]); }

std::uint32_t KvStrings::find_leaf(const Node& candidate) const {
  for (std::uint32_t n = by_hash_.find(bucket(candidate.hash, candidate.len)); n != FlatMap64::kAbsent; n = chain_[n]) {
    const Node& other = nodes_[n];
    // Equal hashes are checked on the text itself: a collision must never
    // make two different values look alike.
    if (other.len == candidate.len && other.hash == candidate.hash && content(other) == content(candidate)) return n;
  }
  return FlatMap64::kAbsent;
}

std::uint32_t KvStrings::leaf(std::uint32_t value) {
  std::uint32_t s = leaves_.find(value);
  if (s != FlatMap64::kAbsent) return s;
  const std::string& text = values_[value];
  const Node node{kLeaf, value, text.size(), text_hash(text), kNone};
  s = find_leaf(node);
  if (s == FlatMap64::kAbsent) {
    if (chain_.size() != nodes_.size()) throw std::logic_error("KvStrings: leaf made after an append");
    s = static_cast<std::uint32_t>(nodes_.size());
    nodes_.push_back(node);
    chain_.push_back(FlatMap64::kAbsent);
    const std::uint64_t b = bucket(node.hash, node.len);
    const std::uint32_t first = by_hash_.find(b);
    if (first == FlatMap64::kAbsent) {
      by_hash_.insert(b, s);
    } else {
      std::uint32_t last = first;
      while (chain_[last] != FlatMap64::kAbsent) last = chain_[last];
      chain_[last] = s;
    }
  }
  leaves_.insert(value, s);
  return s;
}

KvStrings::Piece KvStrings::piece(std::uint32_t value) const {
  const std::string& text = values_[value];
  return Piece{value, text.size(), text_hash(text), pow_base(text.size())};
}

std::uint32_t KvStrings::append_slow(std::uint32_t state, const Piece& piece) {
  std::uint32_t s = state;
  if (piece.len != 0) {
    const Node& base = nodes_[state];
    const Node node{state, piece.value, base.len + piece.len, add_mod(mul_mod(base.hash, piece.shift), piece.hash), kNone};
    s = find_leaf(node);
    if (s == FlatMap64::kAbsent) {
      s = static_cast<std::uint32_t>(nodes_.size());
      nodes_.push_back(node);
    }
  }
  edges_.push_back(Edge{piece.value, s, nodes_[state].first_edge});
  nodes_[state].first_edge = static_cast<std::uint32_t>(edges_.size() - 1);
  return s;
}

bool KvStrings::maybe_prefix(std::uint32_t state, std::uint32_t leaf) {
  const Node& s = nodes_[state];
  const Node& l = nodes_[leaf];
  if (s.len > l.len) return false;
  if (s.len == l.len) return s.hash == l.hash;
  std::uint32_t index = prefix_index_.find(leaf);
  if (index == FlatMap64::kAbsent) {
    index = static_cast<std::uint32_t>(prefix_.size());
    prefix_index_.insert(leaf, index);
    const std::string& text = values_[l.value];
    std::vector<std::uint64_t>& p = prefix_.emplace_back(text.size() + 1, 0);
    for (std::size_t i = 0; i < text.size(); ++i) p[i + 1] = add_mod(mul_mod(p[i], kBase), std::uint64_t{static_cast<unsigned char>(text[i])} + 1);
    prefix_bytes_ += p.capacity() * 8;
  }
  return prefix_[index][s.len] == s.hash;
}

std::size_t KvStrings::memory_bytes() const {
  return nodes_.capacity() * sizeof(Node) + chain_.capacity() * 4 + by_hash_.memory_bytes() +
         edges_.capacity() * sizeof(Edge) + leaves_.memory_bytes() + prefix_index_.memory_bytes() + prefix_bytes_;
}

KvModel::KvModel(const std::vector<LinOp>& ops, const std::vector<std::string>& values)
    : ops_(ops), strings_(values), arg_(ops.size(), 0) {
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind == Kind::kGet || ops[i].kind == Kind::kPut) arg_[i] = strings_.leaf(ops[i].a);
  }
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind != Kind::kAppend) continue;
    arg_[i] = static_cast<std::uint32_t>(pieces_.size());
    pieces_.push_back(strings_.piece(ops[i].a));
  }
}

std::string KvModel::describe(std::uint32_t state) const { return nlohmann::json(strings_.content(state)).dump(); }

KvMapModel::KvMapModel(const std::vector<LinOp>& ops, const std::vector<std::string>& values,
                       const std::vector<std::string>& keys)
    : ops_(ops), keys_(keys), strings_(values), slot_(ops.size()), arg_(ops.size(), 0) {
  FlatMap64 slot_of_key;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    std::uint32_t slot = slot_of_key.find(ops[i].key);
    if (slot == FlatMap64::kAbsent) {
      slot = static_cast<std::uint32_t>(slot_key_.size());
      slot_key_.push_back(ops[i].key);
      slot_of_key.insert(ops[i].key, slot);
    }
    slot_[i] = slot;
    if (ops[i].kind == Kind::kGet || ops[i].kind == Kind::kPut) arg_[i] = strings_.leaf(ops[i].a);
  }
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind != Kind::kAppend) continue;
    arg_[i] = static_cast<std::uint32_t>(pieces_.size());
    pieces_.push_back(strings_.piece(ops[i].a));
  }
  width_ = std::max<std::size_t>(slot_key_.size(), 1);
  cells_.assign(width_, 0);
  std::uint64_t h = 0;
  for (std::uint32_t k = 0; k < width_; ++k) h += cell_hash(k, 0);
  hash_.push_back(h);
  chain_.push_back(FlatMap64::kAbsent);
  by_hash_.insert(h, 0);
}

std::uint32_t KvMapModel::mutate(std::uint32_t map, std::uint32_t i) {
  const LinOp& op = ops_[i];
  const std::uint32_t k = slot_[i];
  const std::size_t base = std::size_t{map} * width_;
  const std::uint32_t old = cells_[base + k];
  const std::uint32_t now = op.kind == Kind::kPut ? arg_[i] : strings_.append(old, pieces_[arg_[i]]);
  if (now == old) return map;
  const std::uint64_t h = hash_[map] - cell_hash(k, old) + cell_hash(k, now);
  std::uint32_t m = by_hash_.find(h);
  std::uint32_t last = FlatMap64::kAbsent;
  for (; m != FlatMap64::kAbsent; last = m, m = chain_[m]) {
    if (hash_[m] != h) continue;
    const std::size_t other = std::size_t{m} * width_;
    bool same = cells_[other + k] == now;
    for (std::size_t j = 0; same && j < width_; ++j) same = j == k || cells_[other + j] == cells_[base + j];
    if (same) return m;
  }
  const auto id = static_cast<std::uint32_t>(hash_.size());
  cells_.resize(cells_.size() + width_);
  std::copy_n(cells_.begin() + static_cast<std::ptrdiff_t>(base), width_, cells_.end() - static_cast<std::ptrdiff_t>(width_));
  cells_[std::size_t{id} * width_ + k] = now;
  hash_.push_back(h);
  chain_.push_back(FlatMap64::kAbsent);
  if (last == FlatMap64::kAbsent) {
    by_hash_.insert(h, id);
  } else {
    chain_[last] = id;
  }
  return id;
}

std::size_t KvMapModel::memory_bytes() const {
  return strings_.memory_bytes() + cells_.capacity() * 4 + hash_.capacity() * 8 + chain_.capacity() * 4 +
         by_hash_.memory_bytes() + memo_.memory_bytes() + (slot_.capacity() + arg_.capacity()) * 4 +
         pieces_.capacity() * sizeof(KvStrings::Piece);
}

std::string KvMapModel::describe(std::uint32_t map) const {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t k = 0; k < width_ && k < slot_key_.size(); ++k) {
    const std::uint32_t s = cells_[std::size_t{map} * width_ + k];
    if (s != 0) out[keys_[slot_key_[k]]] = strings_.content(s);
  }
  return out.dump();
}

std::string KvMapModel::describe(std::uint32_t map, std::uint32_t i) const {
  nlohmann::json out = nlohmann::json::object();
  out[keys_[ops_[i].key]] = strings_.content(cells_[std::size_t{map} * width_ + slot_[i]]);
  return out.dump();
}

}  // namespace faultline::check::lin
