// Step 5 of a run: check and judge the recorded history, as `faultline
// check` would, and word the closing lines (what was injected, what was
// checked).
#include "faultline/checker/pipeline.h"
#include "faultline/history/load.h"
#include "faultline/nemesis/summary.h"
#include "faultline/reports/text_format.h"
#include "run/run_state.h"

namespace faultline::harness {
using nlohmann::json;

void check_run(RunState& s) {
  const RunConfig& config = s.config;
  RunOutcome& outcome = s.outcome;
  json& results = s.results;
  const auto check_start = Clock::now();
  history::LoadInfo info;
  const history::History h = history::load_history((s.dir / "history.jsonl").string(), history::Format::kJsonl, &info);
  if (!h.ops.empty()) {
    // Op times count from t0, the moment run_test began.
    s.timings["first_op_s"] = static_cast<double>(h.ops.front().time) / 1e9;
  }
  if (const auto fp = h.meta.find("final_phase"); fp != h.meta.end() && fp->contains("unread") &&
                                                   !(*fp)["unread"].empty())
    results["final_phase_unread_keys"] = (*fp)["unread"];
  check::CheckOptions options;
  options.strict_stale = s.plan.strict_stale;
  options.max_witnesses = config.max_witnesses;
  // The plan's model and expectation, given explicitly: the same pipeline as
  // `faultline check`, which reads them back from the history's meta.
  const check::CheckOutcome checked = check::check_and_judge(
      h, {s.plan.model, options, check::Expectation{s.plan.expected_for, s.plan.expected_anomalies}, config.expect});
  const check::Judgement& j = checked.judgement;
  outcome.verdict = j.valid;
  outcome.expected = j.expected;
  outcome.headline = j.headline();
  results["model"] = checked.model;
  results["results"] = j.results;
  results["expected_anomalies"] = s.plan.expected_anomalies;
  results["expected"] = j.expected;
  if (j.expected) results["expected_for"] = j.expected_for;
  results["headline"] = j.headline();
  if (checked.first_anomaly_ns) results["first_anomaly_s"] = static_cast<double>(*checked.first_anomaly_ns) / 1e9;
  if (checked.expect_given) {
    outcome.expect_given = true;
    outcome.expect_unmet = checked.expect_unmet;
    results["expect"] = check::expect_record(config.expect, outcome.expect_unmet);
  }
  // The closing lines: what was injected and what was checked.
  std::vector<std::pair<std::string, json>> starts;
  for (const auto& e : h.nemesis)
    if (e.phase == history::FaultPhase::kStart) starts.emplace_back(e.fault, e.params);
  const std::int64_t ops = s.stats.ok.load() + s.stats.fail.load() + s.stats.info.load();
  results["summary"] = {{"faults", nemesis::describe_windows(starts)},
                        {"checked", "checked " + reports::thousands(ops) + " ops: " + j.findings()}};
  s.rec.anomalies = j.counts;
  s.rec.anomaly_count = j.anomaly_count;
  s.rec.expected = j.expected;
  s.timings["check_s"] = seconds_since(check_start);
}

}  // namespace faultline::harness
