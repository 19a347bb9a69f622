// Subcommands whose machinery later issues build. They parse and then refuse
// with a clear message and the bad-usage exit code, so scripts never mistake
// them for a passing run.
#include <iostream>
#include <string>

#include "commands.h"
#include "faultline/harness/cli.h"

namespace faultline::cli {
namespace {

void add_pending(CLI::App& app, int* exit_code, const std::string& name, const std::string& help,
                 const std::string& issue) {
  auto* cmd = app.add_subcommand(name, help);
  cmd->allow_extras();
  cmd->callback([exit_code, name, issue] {
    std::cerr << "faultline " << name << ": not available in this build yet (" << issue << ")\n";
    *exit_code = kExitUsage;
  });
}

}  // namespace

void add_report_command(CLI::App& app, int* exit_code) {
  add_pending(app, exit_code, "report", "Render a run's HTML report, or the runs index", "issue 8: reports");
}

}  // namespace faultline::cli
