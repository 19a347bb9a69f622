// Dropping operations that cannot matter, before the search.
//
// An optional operation (info, or never completed) whose effect no definite
// operation could ever observe may as well never have happened: if a
// linearization uses it, removing it leaves a linearization. Each such op
// left in would multiply the search by the places it could go. Typical
// case: a timed-out write of a unique value that no read ever returned.
#ifndef FAULTLINE_CHECKER_LIN_REDUCE_H_
#define FAULTLINE_CHECKER_LIN_REDUCE_H_

#include <string>
#include <vector>

#include "linearizability/linearizability.h"
#include "linearizability/lin_ops.h"

namespace faultline::check::lin {

// Indices of the ops worth searching, in order. `values`: value id -> text,
// as in Prepared.
std::vector<std::uint32_t> worth_searching(const std::vector<LinOp>& ops, LinModel model,
                                           const std::vector<std::string>& values);

// The earliest-completing definite op that needs a value no op could have
// produced by its completion (a read of a value never written, a get of a
// text no put or append starts), or kNever. Such an op can never be
// linearized, so the history is not linearizable; finding it this way
// spares the search from exhausting every configuration before it.
std::uint32_t first_impossible(const std::vector<LinOp>& ops, LinModel model, const std::vector<std::string>& values);

// The history through the completion of `last` (kept as it is): ops
// invoked before it; those still in flight then may or may not have
// happened (reads among them go). Appends to `out`; returns origins.
std::vector<std::uint32_t> prefix_through(const std::vector<LinOp>& ops, std::uint32_t last, std::vector<LinOp>& out);

// The history as it stood just before event position `cutoff`: ops invoked
// before it; those still in flight then may or may not have happened (reads
// among them constrain nothing and go). Appends to `out` and returns, for
// each op appended, its index in `ops`. `skip` is left out.
std::vector<std::uint32_t> prefix_before(const std::vector<LinOp>& ops, std::uint32_t cutoff, std::uint32_t skip,
                                         std::vector<LinOp>& out);

}  // namespace faultline::check::lin

#endif  // FAULTLINE_CHECKER_LIN_REDUCE_H_
