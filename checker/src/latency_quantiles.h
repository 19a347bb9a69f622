// Latency distributions as Jepsen reports them: the values at quantiles
// 0, 0.5, 0.95, 0.99 and 1, picked as Jepsen's frequency-distribution does
// (the element at floor(n * q), clamped), so figures compare with Jepsen's.
#ifndef FAULTLINE_CHECKER_SRC_LATENCY_QUANTILES_H_
#define FAULTLINE_CHECKER_SRC_LATENCY_QUANTILES_H_

#include <vector>

#include "faultline/history/event.h"

namespace faultline::check::detail {

// {"0": .., "0.5": .., "0.95": .., "0.99": .., "1": ..}, or null when empty.
// Sorts `values` in place.
history::Json quantiles(std::vector<double>& values);

}  // namespace faultline::check::detail

#endif  // FAULTLINE_CHECKER_SRC_LATENCY_QUANTILES_H_
