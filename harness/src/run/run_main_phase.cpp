// Step 3 of a run: the workload against the cluster, under the nemesis, to
// the time limit; every operation and fault window goes to the history.
#include "run/progress.h"
#include "run/run_state.h"

namespace faultline::harness {

using nlohmann::json;

void run_main_phase(RunState& s) {
  const RunConfig& config = s.config;
  workloads::WorkloadOptions& wo = s.workload_options;
  std::vector<std::string> names;
  for (const auto& n : s.nodes) {
    wo.nodes.push_back({n.name, n.address()});
    names.push_back(n.name);
  }
  wo.seed = config.seed;
  wo.concurrency = config.concurrency;
  wo.rate = config.rate;
  wo.delete_fraction = config.delete_fraction;
  wo.ops_per_key = config.ops_per_key;
  wo.time_limit = std::chrono::milliseconds(static_cast<long>(config.time_limit_s * 1000));
  wo.op_timeout = std::chrono::milliseconds(static_cast<long>(config.op_timeout_s * 1000));
  wo.preset = config.store_preset;
  wo.origin = s.t0;
  s.workload = workloads::make_workload(config.workload, wo);
  s.plan = s.workload->check_plan();
  json meta = {{"model", s.plan.model},
               {"workload", config.workload},
               {"store_preset", config.store_preset},
               {"seed", config.seed},
               {"run_id", s.rec.id},
               {"nodes", names},
               // Where the history's clock began on CLOCK_MONOTONIC, so reports can place node log lines.
               {"origin_mono_ns", std::chrono::duration_cast<std::chrono::nanoseconds>(s.t0.time_since_epoch()).count()},
               {"check", {{"strict_stale", s.plan.strict_stale},
                          {"expected_anomalies", s.plan.expected_anomalies},
                          {"expected_for", s.plan.expected_for}}}};
  s.writer = std::make_unique<history::HistoryWriter>((s.dir / "history.jsonl").string(), meta);

  Progress line(s.progress, Progress::is_terminal(s.progress), config.time_limit_s, s.stats,
                [&] { return s.nemesis ? s.nemesis->active() : std::string(); });
  const auto main_start = Clock::now();
  if (s.nemesis) s.nemesis->start(*s.writer);
  // The workload stops itself at the time limit; past a generous grace
  // for in-flight operations the run is declared hung.
  const auto hard = main_start + wo.time_limit + 3 * wo.op_timeout + std::chrono::seconds(30);
  const bool finished =
      run_bounded([&] { s.workload->run(*s.writer, s.stop, s.stats); }, hard, [&] { s.forward_signal(); });
  if (!finished) {
    s.stop.store(true);
    throw StepTimeout("the workload did not stop within " +
                      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(hard - main_start).count()) +
                      " s of its start (time limit plus grace)");
  }
  s.timings["main_phase_s"] = seconds_since(main_start);
}

}  // namespace faultline::harness
