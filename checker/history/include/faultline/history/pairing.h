// Pairs completions with invocations.
//
// Invariant checked: on each process at most one operation is in flight, and
// every completion answers the invocation in flight on its process. An
// invocation with no completion by the end of the history is treated like an
// `info`: it may have taken effect at any time after it was invoked.
#ifndef FAULTLINE_HISTORY_PAIRING_H_
#define FAULTLINE_HISTORY_PAIRING_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "faultline/history/event.h"

namespace faultline::history {

// One logical operation: positions into History::ops.
struct Operation {
  std::size_t invoke = 0;
  std::optional<std::size_t> completion;  // nullopt: never completed

  // ok, fail, info; an operation that never completed counts as info.
  OpType outcome(const std::vector<Op>& ops) const {
    return completion ? ops[*completion].type : OpType::kInfo;
  }
};

// Pairs every invocation with its completion, in invocation order. Throws
// HistoryError naming the index of the first offence (a completion with no
// invocation in flight on its process, or a second invocation while one is in
// flight). `file` is used only in the error's position.
std::vector<Operation> pair_operations(const History& history, const std::string& file = "");

}  // namespace faultline::history

#endif  // FAULTLINE_HISTORY_PAIRING_H_
