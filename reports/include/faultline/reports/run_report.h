// A run's report: one self-contained report.html (inline CSS, JS, SVG and
// data; no network) that opens offline from the run's directory.
//
//   banner      verdict, workload, preset, nemesis, seed, commit, replay command
//   anomalies   each with its witness ops in a small timeline, the faults around
//               it, a sentence, a precedence graph (register) and node log excerpts
//   timeline    every operation by process on a canvas, zoomable, with level of
//               detail so 100,000 operations stay responsive
//   plots       latency (raw and quantiles), throughput, clock offsets, membership
//   faults      each fault window; partition topologies drawn by Graphviz
#ifndef FAULTLINE_REPORTS_RUN_REPORT_H_
#define FAULTLINE_REPORTS_RUN_REPORT_H_

#include <filesystem>
#include <string>

#include "faultline/reports/report_model.h"

namespace faultline::reports {

// Reads a run directory (run_store.h's layout): history.jsonl (required),
// results.json and config.json (optional: a controller that died leaves
// neither), nodes/<n>/data/node.log. Throws std::runtime_error naming the
// file that is missing or malformed.
ReportInput load_run_dir(const std::filesystem::path& dir);

// The whole page.
std::string render_report_html(const ReportInput& input, const ReportModel& model);

// load_run_dir + build_model + render, written to <dir>/report.html (or
// `out` when given). Returns the path written.
std::filesystem::path write_run_report(const std::filesystem::path& dir, const std::filesystem::path& out = {});

}  // namespace faultline::reports

#endif  // FAULTLINE_REPORTS_RUN_REPORT_H_
