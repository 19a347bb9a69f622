// `faultline runs`: the run store's index, newest first, filtered by verdict,
// workload or commit; a table for people, --json for scripts.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "commands/commands.h"
#include "faultline/harness/cli.h"
#include "faultline/harness/run_store.h"

namespace faultline::cli {
namespace {

struct RunsArgs {
  std::string out = "store";
  harness::RunFilter filter;
  bool json = false;
};

nlohmann::json to_json(const harness::RunRecord& r) {
  return {{"id", r.id},           {"test_name", r.test_name}, {"started_at", r.started_at}, {"dir", r.dir},
          {"workload", r.workload}, {"preset", r.preset},     {"nemesis", r.nemesis},       {"backend", r.backend},
          {"commit", r.commit},   {"nodes", r.nodes},         {"seed", r.seed},             {"verdict", r.verdict},
          {"anomalies", r.anomalies}, {"anomaly_count", r.anomaly_count}, {"expected", r.expected},
          {"ops", {{"ok", r.ops_ok}, {"fail", r.ops_fail}, {"info", r.ops_info}}},
          {"duration_s", r.duration_s}, {"error", r.error}, {"config", r.config}};
}

}  // namespace

void add_runs_command(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<RunsArgs>();
  auto* cmd = app.add_subcommand("runs", "List stored runs, newest first");
  cmd->add_option("--out", a->out, "Run store directory")->capture_default_str();
  cmd->add_option("--verdict", a->filter.verdict, "Only runs with this verdict")
      ->check(CLI::IsMember({"valid", "invalid", "unknown", "error", "running"}));
  cmd->add_option("--workload", a->filter.workload, "Only runs of this workload");
  cmd->add_option("--commit", a->filter.commit, "Only runs built from this commit (a prefix)");
  cmd->add_option("--limit", a->filter.limit, "At most this many runs (0 = all)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", a->json, "One JSON object per run");
  cmd->callback([a, exit_code] {
    if (!std::filesystem::exists(std::filesystem::path(a->out) / "runs.db")) {
      std::cerr << "faultline runs: no run store at " << a->out << " (no runs.db; pass --out DIR)\n";
      *exit_code = kExitUsage;
      return;
    }
    try {
      harness::RunStore store(a->out);
      const auto runs = store.list(a->filter);
      if (a->json) {
        for (const auto& r : runs) std::cout << to_json(r).dump() << "\n";
      } else {
        std::printf("%-8s %-24s %-9s %-26s %8s %9s %9s  %s\n", "id", "started (UTC)", "verdict", "test", "anomaly",
                    "ok/fail", "seconds", "commit");
        for (const auto& r : runs) {
          const std::string ops = std::to_string(r.ops_ok) + "/" + std::to_string(r.ops_fail);
          // invalid* : invalid, with only the anomalies its preset documents.
          const std::string verdict = r.verdict + (r.expected ? "*" : "");
          std::printf("%-8s %-24s %-9s %-26s %8lld %9s %9.1f  %.12s\n", r.id.c_str(), r.started_at.c_str(),
                      verdict.c_str(), r.test_name.c_str(), static_cast<long long>(r.anomaly_count), ops.c_str(),
                      r.duration_s, r.commit.c_str());
        }
        if (std::any_of(runs.begin(), runs.end(), [](const auto& r) { return r.expected; }))
          std::printf("* invalid with only the anomalies its store preset is documented to show\n");
        std::fflush(stdout);
      }
      *exit_code = kExitValid;
    } catch (const std::exception& e) {
      std::cerr << "faultline runs: " << e.what() << "\n";
      *exit_code = kExitUsage;
    }
  });
}

}  // namespace faultline::cli
