// Registration of each subcommand on the root CLI11 app. Private to harness/.
// Each add_* attaches a subcommand whose callback stores its exit code in
// `*exit_code`; errors in input are reported on stderr with kExitUsage.
#ifndef FAULTLINE_HARNESS_COMMANDS_H_
#define FAULTLINE_HARNESS_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "faultline/harness/cli.h"

namespace faultline::cli {

// Of two exit codes, the one that says more went wrong: crash > usage >
// invalid > unknown > valid. Commands that handle several runs or files
// exit with the worst.
inline int worse_exit_code(int a, int b) {
  auto rank = [](int code) {
    switch (code) {
      case kExitCrash: return 4;
      case kExitUsage: return 3;
      case kExitInvalid: return 2;
      case kExitUnknown: return 1;
      default: return 0;
    }
  };
  return rank(b) > rank(a) ? b : a;
}

void add_run_command(CLI::App& app, int* exit_code);
void add_check_command(CLI::App& app, int* exit_code);
void add_report_command(CLI::App& app, int* exit_code);
void add_runs_command(CLI::App& app, int* exit_code);
void add_cleanup_command(CLI::App& app, int* exit_code);
void add_doctor_command(CLI::App& app, int* exit_code);
void add_version_command(CLI::App& app, int* exit_code);
void add_kv_command(CLI::App& app, int* exit_code);
void add_sim_command(CLI::App& app, int* exit_code);
void add_bisect_command(CLI::App& app, int* exit_code);

}  // namespace faultline::cli

#endif  // FAULTLINE_HARNESS_COMMANDS_H_
