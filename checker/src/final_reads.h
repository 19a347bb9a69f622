// Final reads that never happened: keys the final phase left unread.
//
// A harness run ends with a final phase that reads every key written (after
// the faults are healed); that read is what proves or refutes that an
// acknowledged write survived. When the phase's deadline cuts it short, the
// runner records the keys it could not read in the history's meta:
//   {"meta":{"final_phase":{"unread":["r3-1","e17"]}}}
// For each such key, an acknowledged write (ok write, add, put, append or
// effective cas) that no ok read of the key began after is unproven: only the
// missing read could have shown it kept or lost. Then the verdict is
// `unknown` (never `valid`); the anomaly-free result names the keys and their
// unproven writes. Keys whose every acknowledged write was read after it are
// listed but do not touch the verdict.
#ifndef FAULTLINE_CHECKER_FINAL_READS_H_
#define FAULTLINE_CHECKER_FINAL_READS_H_

#include "faultline/checker/checker.h"
#include "faultline/history/event.h"

namespace faultline::check {

// True when the history's meta names keys the final phase left unread.
bool has_unread_keys(const history::History& history);

// Never throws for bad input: unpaired events give `unknown` with
// details.error.
Result check_final_reads(const history::History& history);

class FinalReadsChecker : public Checker {
 public:
  std::string name() const override { return "final-reads"; }
  Result check(const history::History& history) override { return check_final_reads(history); }
};

}  // namespace faultline::check

#endif  // FAULTLINE_CHECKER_FINAL_READS_H_
