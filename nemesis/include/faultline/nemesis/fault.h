// The Nemesis seam (Jepsen's Nemesis): one Fault per kind of fault, each able
// to open a window (start), close it (stop), and heal everything of its kind
// no matter what state the run is in (heal_all). The nemesis knows nothing of
// the store or the harness: it acts on nodes through NodeControl, which the
// harness implements over its Backend.
//
// Faults: partition, packet, pause, kill, clock, zombie (known_faults()).
//
// Invariants: start() either applies the whole fault or heals what it did
// and throws FaultError; stop() closes the window start() opened; heal_all()
// is idempotent, never throws, and may run at any time (final phase, signal,
// error), also when no window is open or a start failed half-way.
#ifndef FAULTLINE_NEMESIS_FAULT_H_
#define FAULTLINE_NEMESIS_FAULT_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/nemesis/random.h"

namespace faultline::nemesis {

struct NemesisNode {
  std::string name;  // "n1"
  std::string ip;    // the address its peers reach it at
};

// What the nemesis may do to nodes. Implemented by the harness per backend.
class NodeControl {
 public:
  virtual ~NodeControl() = default;
  virtual std::vector<NemesisNode> nodes() const = 0;
  // `argv` wrapped so it runs in the node's network namespace (netns:
  // `ip netns exec <ns> ...`) or on its host (ssh). Empty when the backend has
  // no per-node network (local): network faults are then unavailable.
  virtual std::vector<std::string> in_node(const std::string& node, const std::vector<std::string>& argv) const = 0;
  // The node's network device toward its peers ("eth0").
  virtual std::string device(const std::string& node) const = 0;
  // Environment for programs the nemesis starts for a run (the run id, so
  // `faultline cleanup` can find them after a controller crash).
  virtual std::vector<std::pair<std::string, std::string>> env() const = 0;

  virtual bool running(const std::string& node) = 0;
  virtual pid_t pid(const std::string& node) = 0;  // -1 when not running
  virtual void kill(const std::string& node) = 0;  // SIGKILL, reaped
  // Starts it again with the same data dir and waits until it answers;
  // throws std::runtime_error when it does not.
  virtual void restart(const std::string& node) = 0;
  virtual void sigstop(const std::string& node) = 0;
  virtual void sigcont(const std::string& node) = 0;
  // The store's zombie mode: membership answered, data requests hang.
  virtual void set_zombie(const std::string& node, bool on) = 0;
};

struct NemesisOptions {
  std::string run_id;                 // names cgroups: faultline-<run>-<node>
  std::filesystem::path agent;        // faultline-agent, for packet faults
  std::filesystem::path clock_dir;    // per-node faketime offset files (clock_file.h)
  // How clock faults skew: "faketime" (offset files read by libfaketime in
  // each node process on this machine) or "host" (nodes are whole hosts:
  // `agent clock-step` steps each host's wall clock with clock_settime, NTP
  // is stopped on the hosts during the run and started again at heal).
  std::string clock_mode = "faketime";
  // Pauses are drawn around it (0.5x to 2x), so some outlast it on purpose.
  std::chrono::milliseconds suspicion_timeout{3000};
  // Target sets a window may pick from: one, minority, majority, all.
  std::vector<std::string> targets = {"one", "minority", "majority", "all"};
  // Packet faults: "netem" or "nfqueue" (chosen by probing), and the kinds
  // to draw from (delay, loss, duplicate, reorder, corrupt, rate).
  std::string packet_mechanism = "netem";
  std::vector<std::string> packet_kinds;
  // Whether NodeControl::pid() names processes of this machine. When not
  // (nodes on other hosts), pauses use SIGSTOP through the NodeControl, never
  // this machine's cgroup freezer.
  bool local_processes = true;
  // Run log lines ("packet faults use the NFQUEUE shaper: ...").
  std::function<void(const std::string&)> log = [](const std::string&) {};
};

// One open window: which nodes it acts on and its parameters as recorded in
// the history (a grudge, a delay, clock offsets, ...).
struct FaultWindow {
  std::vector<std::string> nodes;
  nlohmann::json params = nlohmann::json::object();
};

struct FaultError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Fault {
 public:
  virtual ~Fault() = default;
  virtual std::string name() const = 0;
  virtual FaultWindow start(std::mt19937_64& rng) = 0;
  // How long the window stays open; most faults hold for the schedule's
  // interval, pauses for a duration drawn around the suspicion timeout.
  virtual std::chrono::milliseconds hold(std::mt19937_64& rng, std::chrono::milliseconds interval);
  // Returns the stop event's parameters.
  virtual nlohmann::json stop() = 0;
  // Error lines for what could not be healed (empty: all healed).
  virtual std::vector<std::string> heal_all() = 0;
};

// partition, packet, pause, kill, clock, zombie.
const std::vector<std::string>& known_faults();
// Expands "all", removes "none", checks names; throws std::invalid_argument
// naming an unknown fault and listing the known ones.
std::vector<std::string> expand_faults(const std::vector<std::string>& names);
// Whether the fault needs per-node networks (partition, packet).
bool needs_network(const std::string& fault);

std::unique_ptr<Fault> make_fault(const std::string& name, NodeControl& control, const NemesisOptions& options);

// The packet fault kinds a mechanism ("netem", "nfqueue") can do.
const std::vector<std::string>& packet_kinds(const std::string& mechanism);

// Draws a target set: "one" (1 node), "minority" (fewer than half, at least
// 1), "majority" (more than half), "all". Throws std::invalid_argument for an
// unknown spec.
std::vector<std::string> select_targets(const std::vector<std::string>& nodes, const std::string& spec,
                                        std::mt19937_64& rng);
const std::vector<std::string>& known_target_specs();

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_FAULT_H_
