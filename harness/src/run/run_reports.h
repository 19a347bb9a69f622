// The harness's side of reports/: a run directory and runs.db in, report.html,
// store/index.html and JUnit cases out. Shared by `faultline run` (after every
// run) and `faultline report`.
#ifndef FAULTLINE_HARNESS_RUN_REPORTS_H_
#define FAULTLINE_HARNESS_RUN_REPORTS_H_

#include <filesystem>
#include <iosfwd>

#include "faultline/harness/run_store.h"
#include "faultline/harness/runner.h"
#include "faultline/reports/junit.h"

namespace faultline::harness {

// Writes <store root>/index.html from runs.db; returns its path. Throws
// std::runtime_error naming what could not be read or written.
std::filesystem::path write_runs_index(const RunStore& store);

// After a run: its report.html and a fresh index. A report that cannot be
// written is a warning on `progress`, never a failed run: the history and
// verdict are already stored.
void write_reports_after_run(const RunStore& store, const std::filesystem::path& run_dir, std::ostream& progress);

// One JUnit test case for a finished run, from its outcome and results.json.
reports::JunitCase junit_case(const RunOutcome& outcome);

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_RUN_REPORTS_H_
