// The kv models: get/put/append on string values.
//
// A string state is a node in a table of strings: a leaf (the text of a
// value some get returns or some put writes) or a parent state plus one
// appended value, so long append chains are never copied. Contents are
// hashed (polynomial, so "ab"+"c" and "a"+"bc" hash alike). Every state
// whose text equals a leaf's text *is* that leaf (checked on the text, not
// just the hash), so a get is one integer compare. Two appended states may
// share a text under different ids; that only costs the search a missed
// memo hit, never a wrong answer. kv-map states are interned vectors of
// per-key string states.
#ifndef FAULTLINE_CHECKER_LIN_KV_MODEL_H_
#define FAULTLINE_CHECKER_LIN_KV_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "linearizability/lin_flat_map.h"
#include "linearizability/lin_ops.h"

namespace faultline::check::lin {

class KvStrings {
 public:
  // values[0] must be "": state 0 is the empty string, a missing key.
  explicit KvStrings(const std::vector<std::string>& values);

  // The state whose text is values[value]. All leaves must be made before
  // the first append.
  std::uint32_t leaf(std::uint32_t value);

  // The hash of a value's text and B^length, computed once per op.
  struct Piece {
    std::uint32_t value;
    std::uint64_t len;
    std::uint64_t hash;
    std::uint64_t shift;  // kBase^len
  };
  Piece piece(std::uint32_t value) const;

  // Memoized per state in a short list of edges: a state has about as many
  // successors as there are appends in flight, so a walk beats a hash table.
  std::uint32_t append(std::uint32_t state, const Piece& piece) {
    for (std::uint32_t e = nodes_[state].first_edge; e != kNone; e = edges_[e].next) {
      if (edges_[e].value == piece.value) return edges_[e].target;
    }
    return append_slow(state, piece);
  }
  std::string content(std::uint32_t state) const;
  std::size_t memory_bytes() const;

  // Is the text of `state` a prefix of the text of `leaf`? May say yes
  // wrongly on a hash collision (callers only use a no), never no wrongly.
  bool maybe_prefix(std::uint32_t state, std::uint32_t leaf);

 private:
  std::uint32_t append_slow(std::uint32_t state, const Piece& piece);
  static constexpr std::uint32_t kLeaf = UINT32_MAX;
  static constexpr std::uint32_t kNone = UINT32_MAX;
  struct Node {
    std::uint32_t parent;  // kLeaf: the text is values[value]
    std::uint32_t value;
    std::uint64_t len;
    std::uint64_t hash;
    std::uint32_t first_edge = kNone;
  };
  struct Edge {
    std::uint32_t value;   // appended value
    std::uint32_t target;  // resulting state
    std::uint32_t next;    // next edge of the same state
  };
  std::uint32_t find_leaf(const Node& candidate) const;  // FlatMap64::kAbsent if none
  std::string content(const Node& node) const;

  const std::vector<std::string>& values_;
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> chain_;  // leaves: next leaf in the same hash bucket
  FlatMap64 by_hash_;                 // leaf text hash -> first leaf
  std::vector<Edge> edges_;
  // Prefix hashes of leaf texts, made on first use: leaf -> index into prefix_.
  FlatMap64 prefix_index_;
  std::vector<std::vector<std::uint64_t>> prefix_;
  std::size_t prefix_bytes_ = 0;
  FlatMap64 leaves_;                  // value -> state
};

// Could the get `g` still be linearized from the key's text `text`, after
// some of the `window` ops? Only appends (which extend the text) and puts
// reach what it read: false when the text is not a prefix of that and no
// put in the window writes a prefix of it. `arg`: get/put op -> leaf state.
template <class SameKey>
bool kv_reachable(KvStrings& strings, const std::vector<LinOp>& ops, const std::vector<std::uint32_t>& arg,
                  std::uint32_t text, std::uint32_t g, const std::vector<std::uint32_t>& window, SameKey same_key) {
  if (ops[g].kind != Kind::kGet) return true;
  const std::uint32_t want = arg[g];
  if (text == want) return true;
  int grows = -1;  // lazily: is `text` a prefix of what g read?
  for (std::uint32_t m : window) {
    const Kind k = ops[m].kind;
    if (m == g || (k != Kind::kAppend && k != Kind::kPut) || !same_key(m)) continue;
    if (k == Kind::kPut) {
      if (strings.maybe_prefix(arg[m], want)) return true;
    } else {
      if (grows < 0) grows = strings.maybe_prefix(text, want) ? 1 : 0;
      if (grows == 1) return true;
    }
  }
  return false;
}

// One key's value.
class KvModel {
 public:
  KvModel(const std::vector<LinOp>& ops, const std::vector<std::string>& values);

  std::uint32_t init() const { return 0; }
  bool step(std::uint32_t state, std::uint32_t i, std::uint32_t& next) {
    const LinOp& op = ops_[i];
    switch (op.kind) {
      case Kind::kGet: next = state; return state == arg_[i];
      case Kind::kPut: next = arg_[i]; return true;
      case Kind::kAppend: next = strings_.append(state, pieces_[arg_[i]]); return true;
      default: return false;
    }
  }
  // Could the get `g`, whose completion is the first one pending, still be
  // linearized after some of the `window` ops? Only appends (which extend
  // the text) and puts reach it: false when the text is not a prefix of
  // the value read and no put in the window writes such a prefix.
  bool reachable(std::uint32_t state, std::uint32_t g, const std::vector<std::uint32_t>& window) {
    return kv_reachable(strings_, ops_, arg_, state, g, window, [](std::uint32_t) { return true; });
  }

  std::size_t memory_bytes() const {
    return strings_.memory_bytes() + arg_.capacity() * 4 + pieces_.capacity() * sizeof(KvStrings::Piece);
  }
  std::string describe(std::uint32_t state) const;
  std::string describe(std::uint32_t state, std::uint32_t) const { return describe(state); }

 private:
  const std::vector<LinOp>& ops_;
  KvStrings strings_;
  std::vector<std::uint32_t> arg_;  // get/put: the state of the value's text; append: index into pieces_
  std::vector<KvStrings::Piece> pieces_;
};

// The whole map: state = interned vector of per-key string states.
class KvMapModel {
 public:
  KvMapModel(const std::vector<LinOp>& ops, const std::vector<std::string>& values, const std::vector<std::string>& keys);

  std::uint32_t init() const { return 0; }
  bool step(std::uint32_t map, std::uint32_t i, std::uint32_t& next) {
    const LinOp& op = ops_[i];
    if (op.kind == Kind::kGet) {
      next = map;
      return cells_[std::size_t{map} * width_ + slot_[i]] == arg_[i];
    }
    const std::uint64_t memo_key = std::uint64_t{map} << 32 | i;
    next = memo_.find(memo_key);
    if (next == FlatMap64::kAbsent) {
      next = mutate(map, i);
      memo_.insert(memo_key, next);
    }
    return true;
  }
  // As KvModel::reachable, on g's key.
  bool reachable(std::uint32_t map, std::uint32_t g, const std::vector<std::uint32_t>& window) {
    const std::uint32_t k = slot_[g];
    return kv_reachable(strings_, ops_, arg_, cells_[std::size_t{map} * width_ + k], g, window,
                        [&](std::uint32_t m) { return slot_[m] == k; });
  }
  std::size_t memory_bytes() const;
  std::string describe(std::uint32_t map) const;
  // Only the key op `i` touches: a whole map is too much to read.
  std::string describe(std::uint32_t map, std::uint32_t i) const;

 private:
  std::uint32_t mutate(std::uint32_t map, std::uint32_t i);

  const std::vector<LinOp>& ops_;
  const std::vector<std::string>& keys_;
  KvStrings strings_;
  std::vector<std::uint32_t> slot_;      // op -> dense key slot
  std::vector<std::uint32_t> slot_key_;  // slot -> key id
  std::vector<std::uint32_t> arg_;       // get/put: the state of the value's text; append: index into pieces_
  std::vector<KvStrings::Piece> pieces_;
  std::size_t width_ = 0;                // keys per map
  std::vector<std::uint32_t> cells_;     // map m, slot k at m * width_ + k
  std::vector<std::uint64_t> hash_;      // map -> hash of its cells
  std::vector<std::uint32_t> chain_;     // next map in the same hash bucket
  FlatMap64 by_hash_;
  FlatMap64 memo_;                       // map << 32 | op -> map
};

}  // namespace faultline::check::lin

#endif  // FAULTLINE_CHECKER_LIN_KV_MODEL_H_
