// Counter checker: every read must lie within what the increments allow.
//
// Workload, per key (ops without a key share one counter, starting at 0):
// `add` or `incr` with an integer delta in the invocation's value (null = 1;
// negative deltas are allowed), and `read` whose ok completion's value is the
// counter (null reads as 0, the value of a counter never written).
//
// For a read that began at s and ended at e:
//   certain    ok increments that completed before s were applied before
//              the read could observe anything;
//   possible   increments invoked before e that did not fail (ok or info;
//              an invocation that never completed counts as info) may have
//              been applied when the read took effect.
//   lower = sum(certain) + sum(negative deltas possible but not certain)
//   upper = sum(certain) + sum(positive deltas possible but not certain)
// With only positive deltas these are Jepsen's bounds: acknowledged
// increments completed before the read, and all increments invoked by its end.
// A read below `lower` lost acknowledged increments; above `upper` it counted
// increments that never happened (or were not yet invoked).
// Verdict: invalid if any read is out of bounds, else valid.
#ifndef FAULTLINE_CHECKER_COUNTER_H_
#define FAULTLINE_CHECKER_COUNTER_H_

#include <cstddef>

#include "faultline/checker/checker.h"
#include "faultline/history/event.h"

namespace faultline::check {

struct CounterOptions {
  // Anomalies listed per kind, and worst offenders in details (by distance
  // outside the bounds); counts always cover everything.
  std::size_t max_reported = 10;
};

// Never throws for bad input: unpaired events or non-integer deltas/reads
// give `unknown` with details.error.
Result check_counter(const history::History& history, const CounterOptions& options = {});

class CounterChecker : public Checker {
 public:
  explicit CounterChecker(CounterOptions options = {}) : options_(options) {}
  std::string name() const override { return "counter"; }
  Result check(const history::History& history) override { return check_counter(history, options_); }

 private:
  CounterOptions options_;
};

}  // namespace faultline::check

#endif  // FAULTLINE_CHECKER_COUNTER_H_
