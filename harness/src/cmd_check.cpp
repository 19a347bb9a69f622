#include <iostream>

#include "commands.h"

namespace faultline::cli {

void add_check_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("check", "Check histories for lost writes, stale reads, linearizability");
  cmd->allow_extras();
  cmd->callback([exit_code] {
    std::cerr << "check: not written yet\n";
    *exit_code = 254;
  });
}

}  // namespace faultline::cli
