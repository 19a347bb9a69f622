// Set checker with Jepsen's set-full semantics: lost writes and stale reads.
//
// Workload: `add` of unique integer elements (the invocation's value), and
// `read`s whose ok completion returns the whole set as an array. Ops with a
// `key` form independent sets; each key is checked on its own and the results
// are pooled: counts and latencies over all keys, element lists per key
// (details.lost = {"k1": "3 7..9"} instead of "3 7..9"), prose naming
// `key "k1" element 7`.
//
// For each element e (one per add invocation):
//   relevant reads  ok reads that completed after e's add was invoked (a read
//                   that finished before the add began says nothing about e);
//   known           the earlier of the add's ok completion and the completion
//                   of the first relevant read that returned e;
//   last present /  among relevant reads, the last (by invocation) that
//   last absent     returned e / did not return e.
// Outcomes (each element has exactly one):
//   stable      seen, and every relevant read after the last absent one saw it;
//   lost        known, and the last read of the history (by invocation) began
//               after e was known and did not return it — e vanished for good;
//   never-read  neither: no read began after e was known, or e was never known
//               (failed or indeterminate adds nobody saw).
//   stale       a stable element whose last absent read began after e was
//               known: some read missed an element already known to exist.
// Also reported:
//   duplicated  one read returned the element more than once;
//   unexpected  a read returned an element nobody tried to add, an element
//               whose add failed (fail = definitely not applied), or an
//               element before its add was even invoked.
// Verdict: invalid if anything is lost, duplicated or unexpected, or stale
// when `strict` (the model promises that reads see every acknowledged add,
// e.g. strict quorums R + W > N); otherwise unknown if no element is stable
// (nothing was ever confirmed), else valid.
//
// Cost: O(ops + elements returned by reads) time, O(elements + reads) memory
// beyond the history. The naive check (every element against every read) is
// quadratic; instead the reads are walked once, newest start first, tracking
// the elements every read so far has returned; an element leaves that
// "streak" at its last absent read. See set_full.cpp.
#ifndef FAULTLINE_CHECKER_SET_FULL_H_
#define FAULTLINE_CHECKER_SET_FULL_H_

#include <cstddef>

#include "faultline/checker/checker.h"
#include "faultline/history/event.h"

namespace faultline::check {

struct SetFullOptions {
  // Stale reads make the history invalid (the model promises read-your-
  // acknowledged-writes across clients, e.g. strict quorums).
  bool strict = false;
  // How many worst offenders per outcome go into details, and how many
  // anomalies per kind into the result; counts always cover everything.
  std::size_t max_reported = 10;
};

// Never throws for bad input: unpaired events or non-integer elements give
// `unknown` with details.error.
Result check_set_full(const history::History& history, const SetFullOptions& options = {});

class SetFullChecker : public Checker {
 public:
  explicit SetFullChecker(SetFullOptions options = {}) : options_(options) {}
  std::string name() const override { return "set-full"; }
  Result check(const history::History& history) override { return check_set_full(history, options_); }

 private:
  SetFullOptions options_;
};

}  // namespace faultline::check

#endif  // FAULTLINE_CHECKER_SET_FULL_H_
