// faultline-node: config (file and flags) in, a serving node out.
// Exit codes: 0 clean stop, 2 bad arguments or config, 1 start-up failure.
#include <iostream>

#include "faultline/node/config.h"
#include "node.h"

int main(int argc, char** argv) {
  int exit_code = 0;
  auto config = faultline::node::parse_command_line(argc, argv, exit_code);
  if (!config) return exit_code;
  try {
    faultline::node::Node node(std::move(*config));
    node.run();
  } catch (const std::exception& e) {
    std::cerr << "faultline-node: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
