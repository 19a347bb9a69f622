// The runs index: store/index.html, every stored run with its verdict,
// sortable and filterable, and the trend of verdicts by commit.
//
// reports/ knows nothing of the run store: the harness hands it one IndexRun
// per row of runs.db.
#ifndef FAULTLINE_REPORTS_RUNS_INDEX_H_
#define FAULTLINE_REPORTS_RUNS_INDEX_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline::reports {

struct IndexRun {
  std::string id, started_at, test_name, workload, preset, nemesis, verdict, commit;
  std::int64_t ops_ok = 0, ops_fail = 0, ops_info = 0, anomaly_count = 0;
  nlohmann::json anomalies = nlohmann::json::object();  // kind -> count
  bool expected = false;  // invalid with only the anomalies its preset documents
  double duration_s = 0;
  std::string report_href;  // relative to the index; "" when the run has no report.html
};

// Verdict counts per commit, commits in the order of their first run.
struct CommitTrend {
  std::string commit;
  int valid = 0, invalid = 0, unknown = 0, error = 0;
};
std::vector<CommitTrend> verdict_trend(const std::vector<IndexRun>& runs);

// The page; `runs` newest first.
std::string render_runs_index(const std::vector<IndexRun>& runs);

}  // namespace faultline::reports

#endif  // FAULTLINE_REPORTS_RUNS_INDEX_H_
