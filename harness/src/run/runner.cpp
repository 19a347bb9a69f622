// `faultline run`'s one test: the steps in order (run_state.h), and what
// happens when one throws. Invariants: the history is on disk as the run goes
// (a killed controller leaves a checkable prefix); the run is indexed in
// runs.db as `running` before the cluster exists; every step has a deadline
// and one that overruns ends the run with an error naming it; SIGINT/SIGTERM
// stop the workload and still heal, tear down and store; no fault outlives
// the run; the backend is torn down unless --leave-running.
#include "faultline/harness/runner.h"

#include <random>

#include "build_info.h"
#include "faultline/checker/judge.h"
#include "faultline/process/text.h"
#include "run/run_reports.h"
#include "run/run_state.h"

namespace faultline::harness {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string random_token(std::size_t length) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string out;
  for (std::size_t i = 0; i < length; ++i) out += kAlphabet[rd() % (sizeof kAlphabet - 1)];
  return out;
}

std::string verdict_name(check::Validity v) {
  return v == check::Validity::kValid ? "valid" : v == check::Validity::kInvalid ? "invalid" : "unknown";
}

// Whatever went wrong, no fault outlives the run (a frozen node would not
// even die), then the cluster goes unless it was asked to stay.
void heal_and_teardown(RunState& s) {
  RunOutcome& outcome = s.outcome;
  if (s.nemesis) {
    for (const auto& e : s.nemesis->heal()) {
      outcome.error = true;
      outcome.message += std::string(outcome.message.empty() ? "" : "; ") + "healing faults: " + e;
    }
    if (s.nemesis_summary.empty()) {
      s.nemesis_summary = {{"windows", s.nemesis->windows()}, {"start_failures", s.nemesis->start_failures()}};
    }
  }
  if (!s.backend) return;
  if (s.config.leave_running && !outcome.error) {
    s.progress << "  cluster left running (--leave-running); remove it with: faultline cleanup --run " << s.rec.id
               << "\n";
    s.backend.release();  // its destructor would tear the cluster down
    return;
  }
  const auto down = Clock::now();
  try {
    s.backend->teardown();
  } catch (const std::exception& e) {
    outcome.error = true;
    outcome.message += std::string(outcome.message.empty() ? "" : "; ") + "teardown: " + e.what();
  }
  s.timings["teardown_s"] = seconds_since(down);
}

}  // namespace

std::string build_commit() { return FAULTLINE_GIT_COMMIT; }

int exit_code(const RunOutcome& outcome) {
  if (outcome.error) return 255;
  if (outcome.expect_given) return outcome.expect_unmet.empty() ? 0 : 1;
  return check::exit_code(outcome.verdict);
}

RunOutcome run_test(const RunConfig& config, std::ostream& progress) {
  RunState s(config, progress);
  SignalScope signals;
  RunOutcome& outcome = s.outcome;
  RunRecord& rec = s.rec;
  rec.id = random_token(6);
  outcome.run_id = rec.id;
  rec.test_name = config.workload + "-" + config.store_preset + "-" + process::join(config.nemesis, "+");
  rec.workload = config.workload;
  rec.preset = config.store_preset;
  rec.nemesis = process::join(config.nemesis, ",");
  rec.backend = config.backend;
  rec.commit = build_commit();
  rec.nodes = config.nodes;
  rec.seed = config.seed;
  rec.config = config.to_json();

  std::unique_ptr<RunStore> store;
  try {
    store = std::make_unique<RunStore>(config.out);
    outcome.dir = store->begin(rec);
  } catch (const std::exception& e) {
    outcome.error = true;
    outcome.message = e.what();
    return outcome;
  }
  s.dir = outcome.dir;
  s.results = {{"run_id", rec.id}, {"dir", rec.dir}};
  progress << "faultline run " << rec.id << ": " << config.nodes << " nodes (" << config.backend << "), workload "
           << config.workload << ", preset " << config.store_preset << ", nemesis " << rec.nemesis << ", seed "
           << config.seed << "\n  stored in " << s.dir.string() << "\n"
           << std::flush;

  try {
    s.config_doc = rec.config;  // config.json: the options, then what this run adds
    s.config_doc["run_id"] = rec.id;
    s.config_doc["commit"] = rec.commit;
    s.config_doc["faultline_version"] = FAULTLINE_VERSION;
    s.config_doc["node_binary"] = config.node_binary.string();
    deploy(s);
    await_ready(s);
    run_main_phase(s);
    run_final_phase(s);
  } catch (const StepTimeout& e) {
    outcome.error = true;
    outcome.message = e.what();
    // The hung thread may still use these; leak them rather than free them under it.
    if (s.writer) s.writer->flush();
    s.writer.release();
    s.workload.release();
  } catch (const std::exception& e) {
    outcome.error = true;
    outcome.message = e.what();
    if (signalled()) s.interrupted = true;
    if (s.writer) s.writer->close();
  }
  heal_and_teardown(s);

  json& results = s.results;
  results["ops"] = {{"ok", s.stats.ok.load()}, {"fail", s.stats.fail.load()}, {"info", s.stats.info.load()}};
  // Final reads the deadline cut off: what they would have checked was not.
  if (s.stats.unread.load() > 0) results["final_phase_unread"] = s.stats.unread.load();
  rec.ops_ok = s.stats.ok.load();
  rec.ops_fail = s.stats.fail.load();
  rec.ops_info = s.stats.info.load();
  if (s.interrupted) results["interrupted"] = true;
  if (!s.nemesis_summary.empty()) results["nemesis"] = s.nemesis_summary;
  outcome.interrupted = s.interrupted;

  if (!outcome.error) {
    try {
      check_run(s);
    } catch (const std::exception& e) {
      outcome.error = true;
      outcome.message = std::string("checking the history: ") + e.what();
    }
  }
  if (s.interrupted && !outcome.error && outcome.verdict == check::Validity::kValid) {
    // What was recorded is valid, but the run did not do what was asked.
    outcome.verdict = check::Validity::kUnknown;
    outcome.headline = "unknown";
    results["headline"] = outcome.headline;
    results["note"] = "interrupted by a signal; the recorded prefix was checked";
  }
  rec.verdict = outcome.error ? "error" : verdict_name(outcome.verdict);
  rec.error = outcome.message;
  rec.duration_s = seconds_since(s.t0);
  s.timings["total_s"] = rec.duration_s;
  results["verdict"] = rec.verdict;
  results["anomalies"] = rec.anomalies;
  results["timings"] = s.timings;
  if (outcome.error) results["error"] = outcome.message;
  try {
    write_json(s.dir / "results.json", results);
    store->finish(rec);
  } catch (const std::exception& e) {
    outcome.error = true;
    outcome.message += std::string(outcome.message.empty() ? "" : "; ") + "storing the run: " + e.what();
  }
  if (results.contains("summary")) {
    progress << "  " << results["summary"]["faults"].get<std::string>() << "\n"
             << "  " << results["summary"]["checked"].get<std::string>() << "\n";
  }
  write_reports_after_run(*store, s.dir, progress);  // report.html and store/index.html (issue 8)
  return outcome;
}

}  // namespace faultline::harness
