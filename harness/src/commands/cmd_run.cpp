// `faultline run`: flags in the style of Jepsen's, checked before anything
// starts (bad ones exit 254 with the reason), then --test-count runs, each
// stored; the exit code is the worst verdict.
#include <fstream>
#include <iostream>
#include <memory>

#include "faultline/checker/judge.h"
#include "faultline/reports/junit.h"

#include "commands/commands.h"
#include "faultline/harness/cli.h"
#include "faultline/harness/runner.h"
#include "run/run_options.h"
#include "run/run_reports.h"

namespace faultline::cli {
namespace {

// The first word(s) of the result line: "valid", "INVALID", "INVALID —
// expected for r1w1: stale reads", "unknown" or "ERROR".
std::string verdict_words(const harness::RunOutcome& o) {
  if (o.error) return "ERROR";
  if (!o.headline.empty()) return o.headline;
  return o.verdict == check::Validity::kValid ? "valid" : o.verdict == check::Validity::kInvalid ? "INVALID" : "unknown";
}

}  // namespace

void add_run_command(CLI::App& app, int* exit_code) {
  auto c = std::make_shared<harness::RunConfig>();
  auto* cmd = app.add_subcommand("run", "Deploy a cluster, run a workload under faults, check and store the run");
  harness::add_run_flags(*cmd, *c);  // every option from run_options.h's table
  CLI::Option* nodes_flag = cmd->get_option("--nodes");
  auto junit = std::make_shared<std::string>();
  cmd->add_option("--junit", *junit, "Also write the result as JUnit XML to this file (one test case per run)");
  cmd->callback([c, junit, exit_code, nodes_flag] {
    harness::RunConfig config = *c;
    if (config.backend == "ssh" && nodes_flag->count() > 0) {
      std::cerr << "faultline run: --nodes does not apply to --backend ssh: the hosts given are the nodes\n";
      *exit_code = kExitUsage;
      return;
    }
    if (std::string why = harness::validate(config); !why.empty()) {
      std::cerr << "faultline run: " << why << "\n";
      *exit_code = kExitUsage;
      return;
    }
    if (!junit->empty()) {
      // Refuse an unwritable --junit before spending minutes on the runs.
      std::ofstream probe(*junit, std::ios::app);
      if (!probe) {
        std::cerr << "faultline run: cannot write --junit " << *junit << "\n";
        *exit_code = kExitUsage;
        return;
      }
    }
    std::vector<reports::JunitCase> cases;
    int worst = kExitValid;
    for (int i = 0; i < config.test_count; ++i) {
      if (config.test_count > 1) std::cerr << "test " << (i + 1) << " of " << config.test_count << "\n";
      harness::RunOutcome o = harness::run_test(config, std::cerr);
      const int code = harness::exit_code(o);
      worst = worse_exit_code(worst, code);
      std::cout << verdict_words(o) << "  run " << o.run_id << "  " << o.dir.string() << "\n" << std::flush;
      if (o.error) std::cerr << "faultline run: " << o.message << "\n";
      if (!o.error && o.expect_given) {
        std::cerr << "faultline run: --expect " << (o.expect_unmet.empty() ? "met" : "not met: " + o.expect_unmet)
                  << "\n";
      }
      if (!junit->empty() && !o.dir.empty()) cases.push_back(harness::junit_case(o));
      if (o.interrupted) {
        if (i + 1 < config.test_count) std::cerr << "faultline run: interrupted; the remaining runs are skipped\n";
        break;
      }
      // Later runs reuse the seed sequence deterministically: seed, seed+1, ...
      config.seed += 1;
    }
    if (!junit->empty()) {
      std::ofstream out(*junit, std::ios::trunc);
      out << reports::junit_xml(cases);
      if (!out) std::cerr << "faultline run: cannot write --junit " << *junit << "\n";
    }
    *exit_code = worst;
  });
}

}  // namespace faultline::cli
