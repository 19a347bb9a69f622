// The node processes of one run, for both backends: spawning with
// Boost.Process (through a launcher prefix such as `ip netns exec NS`),
// signalling, reaping, and keeping the manifest's process entries current.
//
// Private to harness/.
#ifndef FAULTLINE_HARNESS_NODE_PROCESSES_H_
#define FAULTLINE_HARNESS_NODE_PROCESSES_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "faultline/harness/backend.h"
#include "backends/manifest.h"

namespace faultline::harness {

class NodeProcesses {
 public:
  NodeProcesses(Manifest& manifest, std::string run_id);
  ~NodeProcesses();

  // Spawns `launcher + spec.argv` with the node's log as stdout and stderr,
  // in a session of its own (a Ctrl-C on the terminal reaches the controller,
  // which then tears down in order, not the nodes directly). `launcher` must
  // exec (not fork) the node so the pid we hold is the node's.
  void start(const NodeSpec& spec, const std::vector<std::string>& launcher);
  bool running(const std::string& node);
  void stop(const std::string& node, std::chrono::milliseconds grace);
  void kill(const std::string& node);
  void pause(const std::string& node);
  void resume(const std::string& node);
  pid_t pid(const std::string& node);
  // SIGTERM to all, SIGKILL to what is left after `grace`, reap all; no
  // start() succeeds afterwards (teardown may race with the runner).
  void stop_all(std::chrono::milliseconds grace);

 private:
  struct Proc;
  std::shared_ptr<Proc> find(const std::string& node);
  // Waits until the process is reaped or `deadline`; true if reaped.
  bool reap_until(Proc& p, std::chrono::steady_clock::time_point deadline);

  Manifest& manifest_;
  std::string run_id_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Proc>> procs_;
  bool closed_ = false;
};

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_NODE_PROCESSES_H_
