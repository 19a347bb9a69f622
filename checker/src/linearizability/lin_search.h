// The Wing–Gong / Lowe linearizability search over one independent
// sub-history, generic over the model. A search can run in slices, so many
// sub-histories can share the cores fairly and an easy invalid one is found
// before a hard one is finished.
#ifndef FAULTLINE_CHECKER_LIN_SEARCH_H_
#define FAULTLINE_CHECKER_LIN_SEARCH_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "faultline/checker/checker.h"
#include "linearizability/lin_budget.h"
#include "linearizability/lin_ops.h"

namespace faultline::check::lin {

struct SearchResult {
  Validity verdict = Validity::kUnknown;
  Exhausted exhausted = Exhausted::kNone;  // why unknown

  // When invalid (ops are indices into the searched vector):
  std::uint32_t blocked = kNever;            // the op whose completion no linearization reaches
  std::vector<std::uint32_t> linearization;  // a linearization of everything completed before it
  std::vector<std::uint32_t> pending;        // other ops in flight there, left unplaced
  std::vector<std::uint32_t> states;         // model states the blocked op was tried in (a few)
  // When valid (and `witness`): `linearization` is the one found and
  // `states` holds the state it ends in.
  //
  // The prefix through the blocked op's completion is never linearizable.
  // When frontier_exact, everything before that completion is (and
  // `linearization` shows how): it is the longest linearizable prefix.
  // Lookahead::kAlways can stop a branch at a later read than its first
  // pending completion, and then the prefix before the blocked op is only
  // not known to be linearizable; Lookahead::kBound settles it.
  bool frontier_exact = true;

  std::uint64_t steps = 0;
  std::size_t configurations = 0;  // cache entries
  std::size_t peak_bytes = 0;
};

// Ops must be in invocation order; call/ret are event positions. A
// non-definite op with ret != kNever may be linearized inside its window or
// not at all (witness shrinking uses these); with ret == kNever it may be
// linearized any time after its call, or not at all.
//
// Model: init() -> state, step(state, op index, next&) -> bool,
// memory_bytes(). `witness`: collect the invalid-case fields.
class Search {
 public:
  virtual ~Search() = default;
  // Runs at most `steps` more steps; true once there is a verdict (or the
  // budget ran out), then result() is final.
  virtual bool run(std::uint64_t steps) = 0;
  virtual const SearchResult& result() const = 0;
};

// Dropping a branch when the first pending read past the first pending
// completion can no longer be satisfied: always (fastest, verdict only
// exact; see frontier_exact), or only where that read completes no later
// than the furthest point already reached (branch and bound: the frontier
// stays exact).
enum class Lookahead { kAlways, kBound };

// `ops`, `model` and `budget` must outlive the search.
template <class Model>
std::unique_ptr<Search> make_search(const std::vector<LinOp>& ops, Model& model, const Budget& budget, bool witness,
                                    Lookahead lookahead = Lookahead::kAlways);

// Runs a search to the end.
template <class Model>
SearchResult search(const std::vector<LinOp>& ops, Model& model, const Budget& budget, bool witness = true,
                    Lookahead lookahead = Lookahead::kAlways) {
  auto s = make_search(ops, model, budget, witness, lookahead);
  while (!s->run(UINT64_MAX)) {
  }
  return s->result();
}

}  // namespace faultline::check::lin

#endif  // FAULTLINE_CHECKER_LIN_SEARCH_H_
