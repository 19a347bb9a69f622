// `faultline-agent version`: lets the controller check that the agent it found
// runs (and, over ssh, which one is installed on a host).
#include <cstdio>
#include <memory>

#include "agent_commands.h"

namespace faultline::nemesis::agent {

Command version_command() {
  Command c;
  c.name = "version";
  c.register_flags = [](CLI::App& app) { return app.add_subcommand("version", "print the agent's version"); };
  c.run = [] {
    std::printf("faultline-agent 1\n");
    return 0;
  };
  return c;
}

}  // namespace faultline::nemesis::agent
