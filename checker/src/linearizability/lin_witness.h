// Shrinking a non-linearizable sub-history to a minimal witness.
//
// Relaxing an operation ("it may or may not have happened, inside its
// window") only ever adds linearizations, so if a relaxed history is still
// not linearizable, neither is the original. Starting from the prefix that
// ends at the completion the search could not reach, operations are relaxed
// (ddmin style: large chunks first, then one by one) while the history stays
// not linearizable. What keeps its recorded outcome at the end is the
// witness: relaxing any one of them alone makes the rest linearizable.
#ifndef FAULTLINE_CHECKER_LIN_WITNESS_H_
#define FAULTLINE_CHECKER_LIN_WITNESS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "linearizability/lin_budget.h"
#include "linearizability/lin_ops.h"
#include "linearizability/lin_search.h"

namespace faultline::check::lin {

struct Witness {
  std::vector<std::uint32_t> ops;  // indices into the searched vector, in invocation order
  bool minimal = false;            // every op was tried alone and is needed
  // The relaxed sub-history that is still not linearizable, and for each of
  // its ops the index in the searched vector.
  std::vector<LinOp> relaxed;
  std::vector<std::uint32_t> origin;
  // From the last trial that proved `relaxed` not linearizable, when that
  // trial searched (rather than settled at once): where it got stuck and
  // the linearization that got there, as indices into `relaxed`. Saves the
  // caller one more exhaustive search to explain the witness.
  bool explained = false;
  std::uint32_t blocked = kNever;
  std::vector<std::uint32_t> linearization;
};

// Runs one search of `ops` (a fresh model each time) within `budget`; when
// invalid, with the linearization to the frontier if it searched.
using SearchFn = std::function<SearchResult(const std::vector<LinOp>& ops, const Budget& budget)>;

// `blocked`: the op whose completion the full search could not reach.
// Each trial gets `budget` with max_nodes = `trial_steps`; the whole shrink
// stops at `budget.deadline` (what is left is still a sound witness).
Witness shrink_witness(const std::vector<LinOp>& ops, std::uint32_t blocked, const SearchFn& run, const Budget& budget,
                       std::uint64_t trial_steps);

// Ops (indices into `ops`) that explain a witness to a reader, beyond the
// `core` that proves it: for each core observation, the mutation it read
// from in `linearization`, and the latest write of the value `blocked`
// expected (for a failed cas: the value it found unequal).
std::vector<std::uint32_t> supporters(const std::vector<LinOp>& ops, const std::vector<std::uint32_t>& core,
                                      const std::vector<std::uint32_t>& linearization, std::uint32_t blocked);

}  // namespace faultline::check::lin

#endif  // FAULTLINE_CHECKER_LIN_WITNESS_H_
