// The subcommands of faultline-agent. Each fault that needs to act inside a
// namespace contributes one Command: `add` registers its CLI11 subcommand and
// flags, `run` does the work once parsing succeeded.
#ifndef FAULTLINE_NEMESIS_AGENT_COMMANDS_H_
#define FAULTLINE_NEMESIS_AGENT_COMMANDS_H_

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace faultline::nemesis::agent {

struct Command {
  std::string name;
  std::function<CLI::App*(CLI::App&)> register_flags;  // returns the subcommand
  std::function<int()> run;
  CLI::App* sub = nullptr;

  void add(CLI::App& app) { sub = register_flags(app); }
  bool selected() const { return sub != nullptr && sub->parsed(); }
};

// One per fault; defined in agent_<fault>.cpp.
Command version_command();
Command shape_command();        // agent_shape.cpp
Command netem_command();        // agent_netem.cpp
Command netem_clear_command();  // agent_netem.cpp
Command qdiscs_command();       // agent_netem.cpp
Command clock_step_command();   // agent_clock.cpp

inline std::vector<Command> all_commands() {
  return {version_command(), shape_command(), netem_command(), netem_clear_command(), qdiscs_command(),
          clock_step_command()};
}

}  // namespace faultline::nemesis::agent

#endif  // FAULTLINE_NEMESIS_AGENT_COMMANDS_H_
