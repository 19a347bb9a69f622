// faultline-agent: the nemesis's hands inside a node's network namespace (or,
// with the ssh backend, on a node's host). The controller never switches a
// thread into another namespace; it runs `ip netns exec <ns> faultline-agent
// <command> ...` instead, and libnl / netfilter work then acts on that
// namespace. Each command prints one line and exits 0 on success, or prints
// "faultline-agent <command>: <what is wrong>" on stderr and exits non-zero:
// 2 for a bad flag, 1 for a fault that could not be applied.
//
// Commands are registered here and implemented beside their fault
// (agent_commands.h), so each fault's flags sit next to its code.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "agent_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"faultline-agent: applies and removes faults in the current network namespace"};
  app.require_subcommand(1);
  std::vector<faultline::nemesis::agent::Command> commands = faultline::nemesis::agent::all_commands();
  for (auto& command : commands) command.add(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  for (auto& command : commands) {
    if (!command.selected()) continue;
    try {
      return command.run();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "faultline-agent %s: %s\n", command.name.c_str(), e.what());
      return 1;
    }
  }
  return 2;
}
