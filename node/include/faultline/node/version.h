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
// vv well-formedness (what those invariants assume, and what is enforced):
//   1. no sibling's context covers its own dot (a write cannot have seen
//      itself): merge drops such siblings (self_covering) from either input,
//      so one forged peer record cannot make it or later writes obsolete;
//   2. a client's write context never names a counter of the coordinating
//      node beyond what that node has issued (context_error, checked by the
//      coordinator before issuing the dot), so a forged context cannot cover
//      this node's later writes, nor the new write's own dot.
//   Not enforced: context entries for *other* nodes (the coordinator does not
//   read the key before a vv write) and cycles among well-formed-looking
//   peer records; see node/README.md "Known, not fixed".
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
  std::vector<Sibling> siblings;  // empty: never written here
  bool empty() const { return siblings.empty(); }
  friend bool operator==(const Record&, const Record&) = default;
};

// Merges two states of one key (see the invariants above). The result is in
// a canonical order, so equal states compare equal.
Record merge(const Record& a, const Record& b, Versioning mode);

// True if `replica` lacks something `merged` has: the replica needs repair.
bool is_stale(const Record& replica, const Record& merged, Versioning mode);

// vv: the context a client gets on read and sends back with its next write:
// every dot and context in the record joined.
VersionVector causal_context(const Record& r);

// vv: checks a client's write context against `issued`, the highest counter
// each listed node can have issued. Returns a message naming the first entry
// beyond its node's bound ("context names n1:99, but n1 has issued at most
// 42"), or nullopt if the context is plausible. Nodes absent from `issued`
// are not checked.
std::optional<std::string> context_error(const VersionVector& context, const VersionVector& issued);

// lww: the greatest stamp in the record, if any.
std::optional<Stamp> max_stamp(const Record& r);

// Highest dot counter this node issued that appears in the record.
std::uint64_t max_own_counter(const Record& r, const std::string& node);

// Values a reader sees: the live (non-tombstone) siblings' values, sorted.
std::vector<std::string> live_values(const Record& r);

// Wire / disk form. from_json throws std::invalid_argument on a malformed record.
nlohmann::json to_json(const Record& r);
Record record_from_json(const nlohmann::json& j);
nlohmann::json to_json(const VersionVector& vv);
VersionVector vv_from_json(const nlohmann::json& j);

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_VERSION_H_
