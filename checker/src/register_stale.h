// Register stale reads: cheaper than linearizability, and names the exact
// anomaly a user asks about ("this read missed that write").
//
// Workload, per key (ops without a key share one register): `write` of the
// invocation's value, `read` returning the ok completion's value (null = the
// initial value), and optionally `cas` with value [from, to]: an ok cas read
// `from` and wrote `to` (an ok cas whose completion value is {"ok": false}
// compared and found another value: it neither read nor wrote). A write of
// null is a delete, back to the initial value. Values may be written more
// than once: every write of a value is a candidate source of a read of it.
//
// A read returning v (an ok read, or the `from` of an ok cas) is
//   stale        when every write that could have left v (not failed, begun
//                before the read ended; for null also the initial value)
//                completed ok and was certainly overwritten: another write
//                W' that began after it completed (so W' is after it in every
//                order) completed ok before the read began. The report names
//                the latest-ending source and the earliest-completing write
//                that overwrote it (the one missed for longest). A stale
//                read is a linearizability violation too: in any order the
//                read follows some source with a write between them. A stale read of a value v has
//                details.missed_delete when an ok delete began after v's
//                write completed and completed before the read began: a lost
//                or resurrected delete (the missed write the report names
//                may be an earlier overwrite). initial_read_count counts
//                every read of null, the initial value's or a delete's.
//   impossible   when no write could have produced v: nobody wrote v, only
//                failed writes did (fail = definitely not applied), or the
//                only write of v began after the read ended.
// A write that ended in `info` (or never completed) may take effect at any
// time after its invocation, so reading its value is never stale.
// Verdict: invalid if any read is stale or impossible, else valid.
//
// Cost: O(n log n) per key (a suffix minimum over writes sorted by start),
// plus O(writes of the value read) per read.
#ifndef FAULTLINE_CHECKER_REGISTER_STALE_H_
#define FAULTLINE_CHECKER_REGISTER_STALE_H_

#include <cstddef>

#include "faultline/checker/checker.h"
#include "faultline/history/event.h"

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
