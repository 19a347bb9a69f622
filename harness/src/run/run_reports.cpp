#include "run/run_reports.h"

#include <fstream>
#include <ostream>
#include <set>
#include <sstream>

#include "faultline/reports/report_model.h"
#include "faultline/reports/run_report.h"
#include "faultline/reports/runs_index.h"

namespace faultline::harness {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json read_json_or_empty(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return json::object();
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json::object() : j;
}

}  // namespace

fs::path write_runs_index(const RunStore& store) {
  std::vector<reports::IndexRun> rows;
  for (const auto& r : store.list()) {
    reports::IndexRun row{.id = r.id,
                          .started_at = r.started_at,
                          .test_name = r.test_name,
                          .workload = r.workload,
                          .preset = r.preset,
                          .nemesis = r.nemesis,
                          .verdict = r.verdict,
                          .commit = r.commit,
                          .ops_ok = r.ops_ok,
                          .ops_fail = r.ops_fail,
                          .ops_info = r.ops_info,
                          .anomaly_count = r.anomaly_count,
                          .anomalies = r.anomalies,
                          .expected = r.expected,
                          .duration_s = r.duration_s};
    const fs::path report = fs::path(r.dir) / "report.html";
    std::error_code ec;
    if (fs::exists(report, ec)) {
      // Relative, so the store can be copied or served as a whole.
      fs::path rel = fs::relative(report, store.root(), ec);
      row.report_href = ec || rel.empty() ? report.string() : rel.generic_string();
    }
    rows.push_back(std::move(row));
  }
  const fs::path path = store.root() / "index.html";
  const fs::path tmp = store.root() / "index.html.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << reports::render_runs_index(rows);
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
  return path;
}

void write_reports_after_run(const RunStore& store, const fs::path& run_dir, std::ostream& progress) {
  try {
    const fs::path report = reports::write_run_report(run_dir);
    progress << "  report: " << report.string() << "\n";
  } catch (const std::exception& e) {
    progress << "  warning: no report for this run: " << e.what() << "\n";
  }
  try {
    write_runs_index(store);
  } catch (const std::exception& e) {
    progress << "  warning: the runs index was not refreshed: " << e.what() << "\n";
  }
  progress << std::flush;
}

reports::JunitCase junit_case(const RunOutcome& o) {
  const json results = read_json_or_empty(o.dir / "results.json");
  const json config = read_json_or_empty(o.dir / "config.json");
  reports::JunitCase c;
  c.classname = "faultline";
  c.run_id = o.run_id;
  c.dir = o.dir.string();
  const std::string workload = config.value("workload", std::string("run"));
  const std::string preset = config.value("store_preset", std::string());
  std::string nemesis;
  if (config.contains("nemesis") && config["nemesis"].is_array())
    for (const auto& n : config["nemesis"]) nemesis += (nemesis.empty() ? "" : "+") + n.get<std::string>();
  c.name = workload + (preset.empty() ? "" : "-" + preset) + (nemesis.empty() ? "" : "-" + nemesis) + " (seed " +
           (config.contains("seed") ? config["seed"].dump() : std::string("?")) + ")";
  if (o.error) {
    c.verdict = "error";
    c.error = o.message;
  } else {
    c.verdict = o.verdict == check::Validity::kValid     ? "valid"
                : o.verdict == check::Validity::kInvalid ? "invalid"
                                                         : "unknown";
  }
  if (results.contains("anomalies") && results["anomalies"].is_object()) c.anomalies = results["anomalies"];
  c.headline = o.headline;
  if (o.expect_given) {
    c.expect_given = true;
    c.expect_met = o.expect_unmet.empty();
    c.expect_why = o.expect_unmet;
    if (const auto e = results.find("expect"); e != results.end() && e->contains("kinds"))
      for (const auto& k : (*e)["kinds"]) c.expect += (c.expect.empty() ? "" : ",") + k.get<std::string>();
  }
  if (results.contains("timings") && results["timings"].contains("total_s"))
    c.time_s = results["timings"].value("total_s", 0.0);
  if (fs::exists(o.dir / "report.html")) c.report = (o.dir / "report.html").string();
  c.replay = reports::replay_command(config);
  return c;
}

}  // namespace faultline::harness
