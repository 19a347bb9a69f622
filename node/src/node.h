// One faultline-node: storage, ring, membership, coordinator, hint replayer
// and server wired together. main() is config + Node + run().
#ifndef FAULTLINE_NODE_NODE_H_
#define FAULTLINE_NODE_NODE_H_

#include <memory>

#include <nlohmann/json.hpp>

#include "faultline/node/config.h"

namespace faultline::node {

class Node {
 public:
  // Opens the log and the database and binds the port; throws on failure.
  explicit Node(NodeConfig config);
  ~Node();

  // Serves until stop() or SIGINT/SIGTERM (when handle_signals).
  void run(bool handle_signals = true);
  // Thread-safe.
  void stop();

  std::uint16_t port() const;
  // The status reply: membership view, hint counts, counters, config.
  nlohmann::json status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_NODE_H_
