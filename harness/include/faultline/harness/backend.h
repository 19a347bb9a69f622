// Where a run's nodes live: the Backend seam (Jepsen's "os + remote").
//
// A backend creates the network the nodes talk over, starts and signals node
// processes, and removes everything it made. The runner drives it through
// this interface only, so an `ssh` backend (real hosts, Vagrant VMs) fits
// without changing the runner.
//
// Backends:
//   netns - one network namespace per node on a bridge, addresses from a
//           private /24 that exists only inside this machine; processes are
//           started with Boost.Process through `ip netns exec` (the controller
//           never switches a thread into a namespace). Needs root.
//   local - plain processes on loopback ports; no network faults.
//
// Invariant: everything a backend creates is tagged with the run id (names
// and a manifest under the state directory, written *before* the object is
// created), so cleanup_leftovers() can remove it after the controller died,
// even by SIGKILL. teardown() and cleanup_leftovers() are idempotent.
#ifndef FAULTLINE_HARNESS_BACKEND_H_
#define FAULTLINE_HARNESS_BACKEND_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace faultline::harness {

// Where the controller reaches a node, and the address the node advertises
// to its peers (the same for netns and local).
struct NodeAddress {
  std::string name;  // "n1"
  std::string host;  // "10.77.3.1" (netns) or "127.0.0.1" (local)
  int port = 0;
  std::string address() const { return host + ":" + std::to_string(port); }
};

// One node process as the runner asks for it.
struct NodeSpec {
  std::string name;                          // must be one create() returned
  std::vector<std::string> argv;             // program first
  std::map<std::string, std::string> env;    // added to the controller's environment
  std::filesystem::path data_dir;            // created if missing; kept across restarts
  std::filesystem::path log_path;            // stdout and stderr, appended
};

// A failure of the backend itself (namespace creation, spawn, ...); the message
// names the node and the step.
struct BackendError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string kind() const = 0;  // "netns", "local"
  virtual const std::string& run_id() const = 0;
  // Whether partitions and packet faults can be applied (netns: yes).
  virtual bool supports_network_faults() const = 0;

  // Creates the network and assigns every node an address reachable from the
  // controller. Called once, before any start().
  virtual std::vector<NodeAddress> create(const std::vector<std::string>& node_names) = 0;

  // Starts the node's process (again after stop/kill: same data dir).
  // Throws BackendError if it cannot be spawned.
  virtual void start(const NodeSpec& spec) = 0;
  // True while the node's process exists (a SIGSTOPped process is running).
  virtual bool running(const std::string& node) = 0;
  // SIGTERM, then SIGKILL after `grace`; returns once the process is reaped.
  virtual void stop(const std::string& node, std::chrono::milliseconds grace) = 0;
  // SIGKILL; returns once the process is reaped.
  virtual void kill(const std::string& node) = 0;
  // SIGSTOP / SIGCONT (GC-like pauses); return once every thread of the
  // process is stopped / running again.
  virtual void pause(const std::string& node) = 0;
  virtual void resume(const std::string& node) = 0;
  // The node's pid, or -1 when it is not running.
  virtual pid_t pid(const std::string& node) = 0;
  // The named network namespace of the node ("" for local): what the nemesis
  // enters (in a forked child) to install qdiscs and firewall rules.
  virtual std::string net_namespace(const std::string& node) const = 0;

  // A directory that lives as long as the run's objects and is removed with
  // them by teardown() and cleanup_leftovers() (libfaketime offset files).
  virtual std::filesystem::path scratch_dir() const = 0;

  // Stops every process (SIGKILL after a short grace) and removes everything
  // create() made. Idempotent; the destructor calls it.
  virtual void teardown() = 0;
};

struct BackendOptions {
  std::string run_id;                   // short, [a-z0-9], <= 8 chars: names are built from it
  std::filesystem::path state_dir;      // manifests for cleanup; default_state_dir() if empty
  int port = 7000;                      // netns: the port every node listens on
};

// "netns" or "local"; throws std::invalid_argument naming the kind and the
// known ones, or BackendError when the kind cannot work here (netns without root).
std::unique_ptr<Backend> make_backend(const std::string& kind, const BackendOptions& options);
const std::vector<std::string>& known_backends();

// /run/faultline when root, else $XDG_RUNTIME_DIR/faultline or /tmp/faultline-<uid>.
std::filesystem::path default_state_dir();

struct CleanupReport {
  std::vector<std::string> removed;  // one line per object: "netns faultline-ab12cd-n1", "pid 1234 (n2)", ...
  std::vector<std::string> errors;   // one line per object that could not be removed, with why
  // Runs left alone because their controller is still alive (another
  // `faultline run` in progress): "run ab12cd (controller pid 4242 is running)".
  std::vector<std::string> skipped;
};

// Removes what runs left behind after their controller died: processes,
// namespaces, bridges, veths, qdiscs and firewall rules, temp files. With an
// empty run_id, every run's; otherwise that run's only. Idempotent.
//
// Found through the manifests under state_dir and, for objects no manifest
// names (another state dir, a manifest lost), through the naming scheme:
// namespaces faultline-<run>-<node>, bridge flb<run>, veths flv<run><i>, and
// processes whose environment carries FAULTLINE_RUN_ID=<run>. A run whose
// controller process is still alive (and is not the caller) is skipped.
// Qdiscs and firewall rules live inside the node namespaces (or on our
// links) and go with them; freezer cgroups faultline-<run>-<node> are thawed
// and removed first, so paused processes can die.
CleanupReport cleanup_leftovers(const std::filesystem::path& state_dir, const std::string& run_id = "");

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_BACKEND_H_
