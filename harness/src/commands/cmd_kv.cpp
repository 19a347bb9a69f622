// `faultline kv --node ADDR get|put|delete|status ...`: poke a running
// faultline-node cluster by hand. The client and its argument parsing live in
// workloads/ (kv_command); this only forwards the words after `kv`.
#include <iostream>
#include <string>
#include <vector>

#include "commands/commands.h"
#include "faultline/workloads/kv_client.h"

namespace faultline::cli {

void add_kv_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("kv", "Talk to a running faultline-node by hand (kv --help for usage)");
  cmd->prefix_command();     // everything after `kv` belongs to kv_command
  cmd->set_help_flag();      // so `kv --help` reaches kv_command too
  cmd->callback([cmd, exit_code] {
    std::vector<std::string> args = cmd->remaining();
    *exit_code = workloads::kv_command(args, std::cout, std::cerr);
  });
}

}  // namespace faultline::cli
