// `faultline report RUN_DIR`: (re)writes a run's report.html.
// `faultline report --index`: (re)writes <store>/index.html from runs.db.
// Both also happen at the end of every `faultline run`.
#include <filesystem>
#include <iostream>
#include <memory>

#include "commands/commands.h"
#include "faultline/harness/cli.h"
#include "faultline/harness/run_store.h"
#include "faultline/reports/run_report.h"
#include "run/run_reports.h"

namespace faultline::cli {
namespace {

struct ReportArgs {
  std::string run_dir;
  bool index = false;
  std::string out = "store";
  std::string output;
};

}  // namespace

void add_report_command(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "Render a run's HTML report (RUN_DIR), or the runs index (--index)");
  cmd->add_option("RUN_DIR", a->run_dir, "A run directory (holding history.jsonl)");
  cmd->add_flag("--index", a->index, "Write <store>/index.html from runs.db");
  cmd->add_option("--out", a->out, "Run store directory, for --index")->capture_default_str();
  cmd->add_option("-o,--output", a->output, "Where to write the run's report (default RUN_DIR/report.html)");
  cmd->callback([a, exit_code] {
    namespace fs = std::filesystem;
    if (a->run_dir.empty() == !a->index) {
      std::cerr << "faultline report: give either a RUN_DIR or --index\n";
      *exit_code = kExitUsage;
      return;
    }
    try {
      if (a->index) {
        if (!fs::exists(fs::path(a->out) / "runs.db")) {
          std::cerr << "faultline report: no run store at " << a->out << " (no runs.db; pass --out DIR)\n";
          *exit_code = kExitUsage;
          return;
        }
        harness::RunStore store(a->out);
        std::cout << harness::write_runs_index(store).string() << "\n";
      } else {
        std::cout << reports::write_run_report(a->run_dir, a->output).string() << "\n";
      }
      *exit_code = kExitValid;
    } catch (const std::exception& e) {
      std::cerr << "faultline report: " << e.what() << "\n";
      *exit_code = kExitUsage;
    }
  });
}

}  // namespace faultline::cli
