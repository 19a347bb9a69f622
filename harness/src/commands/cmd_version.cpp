#include <iostream>

#include "commands/commands.h"

namespace faultline::cli {

void add_version_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("version", "Print the faultline version");
  cmd->callback([exit_code] {
    std::cout << "faultline " << FAULTLINE_VERSION << "\n";
    *exit_code = 0;
  });
}

}  // namespace faultline::cli
