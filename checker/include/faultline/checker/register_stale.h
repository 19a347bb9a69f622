// Register stale reads: cheaper than linearizability, and names the exact
// anomaly a user asks about ("this read missed that write").
//
// Workload, per key (ops without a key share one register): `write` of the
// invocation's value, `read` returning the ok completion's value (null = the
// initial value), and optionally `cas` with value [from, to]: an ok cas read
// `from` and wrote `to`. Written values must be unique per key, except null:
// a write of null is a delete, back to the initial value, and a key may be
// deleted any number of times.
//
// A read returning v (an ok read, or the `from` of an ok cas) is
//   stale        when v's write W completed ok, and another write W' that
//                began after W completed (so W' is after W in every order)
//                completed ok before the read began: v was certainly
//                overwritten. The report names W' (the earliest-completing
//                such write: the one missed for longest). Reading null is
//                stale the same way when the initial value and every delete
//                that could have left it (not failed, begun before the read
//                ended) were each overwritten; the report then names the
//                latest-ending of those sources and the earliest-completing
//                write that overwrote it. A stale read of a value v has
//                details.missed_delete when an ok delete began after v's
//                write completed and completed before the read began: a lost
//                or resurrected delete (the missed write the report names
//                may be an earlier overwrite). initial_read_count counts
//                every read of null, the initial value's or a delete's.
//   impossible   when no write could have produced v: nobody wrote v, only
//                failed writes did (fail = definitely not applied), or the
//                only write of v began after the read ended.
// A write that ended in `info` (or never completed) may take effect at any
// time after its invocation, so reading its value is never stale. Values
// written more than once on a key are not judged (counted as ambiguous).
// Verdict: invalid if any read is stale or impossible, else valid.
//
// Cost: O(n log n) per key (a suffix minimum over writes sorted by start),
// plus O(deletes of the key) per read of null and per stale read.
#ifndef FAULTLINE_CHECKER_REGISTER_STALE_H_
#define FAULTLINE_CHECKER_REGISTER_STALE_H_

#include <cstddef>

#include "faultline/checker/checker.h"
#include "faultline/checker/event.h"

namespace faultline::check {

struct RegisterStaleOptions {
  // Anomalies listed per kind, and worst offenders in details (by how long
  // the missed write had been complete); counts always cover everything.
  std::size_t max_reported = 10;
};

// Never throws for bad input: unpaired events or a malformed cas give
// `unknown` with details.error.
Result check_register_stale(const history::History& history, const RegisterStaleOptions& options = {});

class RegisterStaleChecker : public Checker {
 public:
  explicit RegisterStaleChecker(RegisterStaleOptions options = {}) : options_(options) {}
  std::string name() const override { return "register-stale-read"; }
  Result check(const history::History& history) override { return check_register_stale(history, options_); }

 private:
  RegisterStaleOptions options_;
};

}  // namespace faultline::check

#endif  // FAULTLINE_CHECKER_REGISTER_STALE_H_
