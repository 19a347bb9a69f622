// Versions of a key: last-write-wins stamps and dotted version vectors.
//
// A key's state on a replica is a Record: a set of Siblings. A delete is a
// sibling without a value (a tombstone), so that it can win over, and be
// repaired onto, replicas that still hold the old value.
//
// lww-wall / lww-hlc: a Record holds at most one sibling, the one with the
//   greatest Stamp (wall, logical, node); the node id breaks ties, so two
//   replicas always pick the same winner.
// vv: each sibling carries a dot (the node that coordinated the write and a
//   counter unique on that node) and the causal context the client read
//   before writing (a version vector). A sibling is obsolete once another
//   sibling's context covers its dot. Concurrent writes, even through one
//   coordinator with the same context, get distinct dots and are both kept:
//   this is the dotted-version-vector refinement of Dynamo's version vectors,
//   which would otherwise lose one of two concurrent writes via one node.
//
// Invariants: merge is commutative, associative and idempotent (replicas
// converge whatever order writes and repairs arrive in); a merged Record
// never holds two siblings with one dot; in lww at most one sibling.
//
// vv merge is a join of causal states (as in DVV sets and causal CRDTs): a
// Record is its live siblings S plus its context C, the join of every
// context its writes were made with, superseded ones included. C is ranges
// ("saw n1 up to 5"); live dots are points (counters are per node, not per
// key, so "n1 up to 5" must not follow from holding n1:5). A dot is seen if
// C covers it or it is live, superseded if seen and not live. merge keeps a
// sibling if both sides hold it or the other side's C does not cover it,
// and joins the Cs: that is the union of two grow-only sets (seen,
// superseded), so merge is commutative, associative and idempotent for
// *any* input once inputs are normalised (normalise(): merge applies it to
// both inputs):
//   - a sibling whose context covers its own dot (a write cannot have seen
//     itself; self_covering) or that has no dot is dropped, and its context
//     does not enter C (a forged context must not cover later real writes);
//   - C := C joined with every kept sibling's context, then every sibling C
//     covers is superseded (another sibling saw it: not reachable from real
//     writes, since the covering write's state saw it; in a cycle, A saw B
//     and B saw A, both go).
// A normalised C covers no live sibling; joins keep that, hence the
// algebra. C remembers what superseded siblings had seen, which
// per-sibling contexts alone forgot (merge was not associative on
// non-transitive contexts, nor idempotent on cycles).
//
// Counters a context may name (checked where input enters, not here):
//   - by the coordinator of a client write: for itself, at most what it
//     has issued (DotCounter::issued_bound); for any other node, at most its
//     wall clock plus max_clock_skew_ms (context_error), because dot counters
//     are wall-clock microseconds;
//   - by a replica, for a peer record: at most its wall clock plus twice the
//     skew allowance (record_error); and every node moves its dot counter past
//     any counter for itself it sees (max_own_counter, Lamport-style), so a
//     plausible-but-forged entry it has seen cannot cover its later writes.
// See node/README.md "vv contexts" for the limits.
#ifndef FAULTLINE_NODE_VERSION_H_
#define FAULTLINE_NODE_VERSION_H_

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/node/config.h"

namespace faultline::node {

// Bounds record_from_json enforces on what it reads from peers and disk.
// Real walls are microseconds since 1970 (~2^50) and dot counters start from
// them, so 2^62 is far beyond any real value yet leaves the HLC and the dot
// counter room to step past any stamp they observe without overflowing
// (an unbounded peer stamp once made the HLC wrap and go backwards).
inline constexpr std::int64_t kMaxStampWall = std::int64_t{1} << 62;
inline constexpr std::uint64_t kMaxDotCounter = std::uint64_t{1} << 62;

// Total order for lww; compares (wall, logical, node).
struct Stamp {
  std::int64_t wall = 0;       // microseconds (wall clock or HLC l)
  std::uint32_t logical = 0;   // HLC c; 0 for lww-wall
  std::string node;            // tie-breaker
  auto operator<=>(const Stamp&) const = default;
};

using VersionVector = std::map<std::string, std::uint64_t>;

struct Dot {
  std::string node;
  std::uint64_t counter = 0;
  auto operator<=>(const Dot&) const = default;
};

// True if `a` has seen everything `b` has (a >= b entrywise).
bool descends(const VersionVector& a, const VersionVector& b);
VersionVector join(const VersionVector& a, const VersionVector& b);
bool covers(const VersionVector& context, const Dot& dot);

struct Sibling {
  std::optional<std::string> value;  // nullopt: tombstone
  Stamp stamp;                       // lww order; informative in vv
  Dot dot;                           // vv only
  VersionVector context;             // vv only: what the writer had seen
  bool tombstone() const { return !value.has_value(); }
  friend bool operator==(const Sibling&, const Sibling&) = default;
};

// vv: the sibling's context covers its own dot; merge drops such siblings.
bool self_covering(const Sibling& s);

struct Record {
  std::vector<Sibling> siblings;  // live siblings; empty: never written here (or all superseded)
  VersionVector context;          // vv: the state's causal context C (see above); lww: empty
  bool empty() const { return siblings.empty(); }
  friend bool operator==(const Record&, const Record&) = default;
};

// Merges two states of one key (see the invariants above). The result is in
// a canonical order, so equal states compare equal.
Record merge(const Record& a, const Record& b, Versioning mode);

// What normalise dropped from a record: siblings that saw themselves or have
// no dot (vv), siblings superseded by a sibling of the same record.
struct NormaliseReport {
  std::size_t self_covering = 0;
  std::size_t dotless = 0;
  std::size_t covered = 0;  // includes both members of a context cycle
  std::size_t total() const { return self_covering + dotless + covered; }
};

// The canonical form of one state (merge(r, {}) == normalise(r)); reports
// what it dropped, so a replica can count malformed peer records.
Record normalise(const Record& r, Versioning mode, NormaliseReport* report = nullptr);

// True if `replica` lacks something `merged` has: the replica needs repair.
bool is_stale(const Record& replica, const Record& merged, Versioning mode);

// vv: the context a client gets on read and sends back with its next write:
// the record's C joined with every live dot and context.
VersionVector causal_context(const Record& r);

// vv: checks a client's write context against `issued`, the highest counter
// each listed node can have issued, and every other node's entry against
// `others_bound` if given. Returns a message naming the first entry beyond
// its bound ("context names n1:99, but n1 has issued at most 42"), or
// nullopt if the context is plausible.
std::optional<std::string> context_error(const VersionVector& context, const VersionVector& issued,
                                         std::optional<std::uint64_t> others_bound = std::nullopt);

// vv: the first counter a peer record names (dot, sibling context or C)
// beyond `bound`, as a message naming it, or nullopt.
std::optional<std::string> record_error(const Record& r, std::uint64_t bound);

// lww: the greatest stamp in the record, if any.
std::optional<Stamp> max_stamp(const Record& r);

// Highest counter of `node` the record names: its dots, sibling contexts and
// C. The node's later dots must exceed it (DotCounter::observe), or a stored
// context naming it would cover them; storage persists it per key so a
// restart starts above it.
std::uint64_t max_own_counter(const Record& r, const std::string& node);

// Values a reader sees: the live (non-tombstone) siblings' values, sorted.
std::vector<std::string> live_values(const Record& r);

// Wire / disk form: a JSON array of siblings when C is exactly the join of
// the siblings' contexts (a single write; old databases: C is derived), else
// {"siblings": [...], "context": {...}}. from_json throws
// std::invalid_argument on a malformed record.
nlohmann::json to_json(const Record& r);
Record record_from_json(const nlohmann::json& j);
nlohmann::json to_json(const VersionVector& vv);
VersionVector vv_from_json(const nlohmann::json& j);

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_VERSION_H_
