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
//   ssh   - one node per host reached over OpenSSH (a multiplexed
//           connection per host); the node binary is uploaded to a per-run
//           directory and runs there as a daemon. Faults run on the hosts.
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

  virtual std::string kind() const = 0;  // "netns", "ssh", "local"
  virtual const std::string& run_id() const = 0;
  // Whether partitions and packet faults can be applied (netns: yes).
  virtual bool supports_network_faults() const = 0;

  // Creates the network and assigns every node an address reachable from the
  // controller. Called once, before any start().
  virtual std::vector<NodeAddress> create(const std::vector<std::string>& node_names) = 0;

  // Starts the node's process (again after stop/kill: same data dir).
  // Throws BackendError if it cannot be spawned. ssh: argv[0] and every
  // argument naming an existing local file are copied to the host and
  // replaced by their remote paths; the log is fetched back into log_path
  // when the node is found dead and at teardown.
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
  // The named network namespace of the node ("" for local and ssh).
  virtual std::string net_namespace(const std::string& node) const = 0;
  // `argv` wrapped so that it runs with the node's network: `ip netns exec
  // <ns> ...` (netns), an ssh command to its host (ssh), {} when the backend
  // has no per-node network (local). What the nemesis runs its firewall,
  // qdisc and agent commands through.
  virtual std::vector<std::string> node_command(const std::string& node, const std::vector<std::string>& argv) const;
  // Where the node's files are as the node sees them: `local` itself, except
  // on ssh, where the node's data dir is on its host.
  virtual std::filesystem::path node_data_dir(const std::string& node, const std::filesystem::path& local) const;
  // The node's network device toward its peers, for qdiscs ("eth0" on netns;
  // on ssh the device of the host's route to another node).
  virtual std::string node_device(const std::string&) const { return "eth0"; }
  // Whether pid() names a process of this machine (the cgroup freezer and
  // /proc may be used on it); false for ssh.
  virtual bool local_processes() const { return true; }

  // A directory that lives as long as the run's objects and is removed with
  // them by teardown() and cleanup_leftovers() (libfaketime offset files).
  virtual std::filesystem::path scratch_dir() const = 0;

  // Stops every process (SIGKILL after a short grace) and removes everything
  // create() made. Idempotent; the destructor calls it.
  virtual void teardown() = 0;
};

// One host of the ssh backend: the node named `name` runs on `host` (a name
// or an IPv4 address the controller's ssh reaches).
struct SshHost {
  std::string name;  // "n1"
  std::string host;  // "192.168.56.11", "node1.example"
};

// How the ssh backend logs in (Jepsen's --username, --ssh-private-key, ...).
struct SshOptions {
  std::vector<SshHost> hosts;
  std::string user = "root";
  std::filesystem::path private_key;  // "" = ssh's own defaults (agent, ~/.ssh/id_*)
  int port = 22;
  // Off: unknown host keys are accepted into a known_hosts file of the run's
  // own (accept-new); a changed key is still refused. On: ssh's usual
  // known_hosts files and StrictHostKeyChecking=yes.
  bool strict_host_key_checking = false;
  std::chrono::seconds connect_timeout{5};
};

// Reads a nodes file (vagrant/nodes.txt's format): one node per line, either
// `host` (named n1, n2, ... in order) or `name host`; blank lines and `#`
// comments are skipped. Throws std::invalid_argument naming the file and
// line: missing or unreadable file, no hosts, a bad name, a host given twice,
// more than two words on a line.
std::vector<SshHost> read_nodes_file(const std::filesystem::path& path);
// The same checks for `--node` flags, each `host` or `name=host`.
std::vector<SshHost> parse_node_flags(const std::vector<std::string>& nodes);

struct BackendOptions {
  std::string run_id;                   // short, [a-z0-9], <= 8 chars: names are built from it
  std::filesystem::path state_dir;      // manifests for cleanup; default_state_dir() if empty
  int port = 7000;                      // netns, ssh: the port every node listens on
  SshOptions ssh;                       // ssh only
  // ssh: programs copied to every host's run directory at create(), which
  // node_command() then runs there in place of the local path
  // (faultline-agent for packet faults).
  std::vector<std::filesystem::path> tools;
};

// "netns", "ssh" or "local"; throws std::invalid_argument naming the kind and the
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
