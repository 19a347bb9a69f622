// A deterministic discrete-event simulator for the membership protocols.
//
// It runs the real SwimNode / CentralNode code (swim_protocol.h,
// central_heartbeat.h) for up to tens of thousands of members in one thread
// against a simulated network: per-datagram latency, independent loss,
// partitions, crashed members (silent forever) and paused members (like
// SIGSTOP: their timers and inbound packets wait until they resume, inbound
// packets beyond a socket-buffer's worth are dropped). Push-pull syncs travel
// as reliable streams (not lost, but cut by partitions and crashes).
// Everything random comes from `seed`: the same config gives the same JSON.
#ifndef FAULTLINE_NODE_SIM_MEMBERSHIP_SIM_H_
#define FAULTLINE_NODE_SIM_MEMBERSHIP_SIM_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/node/membership_config.h"

namespace faultline::node::sim {

using swim::Time;

enum class Mode { kSwim, kCentral };

struct PauseSpec {
  Time length = 0;
  Time at = 0;
};

struct PartitionSpec {
  Time at = 0;
  Time length = 0;
  double fraction = 0.5;  // share of members on the first side
};

struct SimConfig {
  int nodes = 10;
  Mode mode = Mode::kSwim;
  double loss = 0;
  int crash = 0;
  // Crashes happen at times drawn uniformly from [crash_from, crash_to]
  // (defaults: 20% and 50% of the duration).
  std::optional<Time> crash_from, crash_to;
  std::vector<PauseSpec> pauses;  // each pauses one random member never crashed
  std::optional<PartitionSpec> partition;
  Time duration = 60 * swim::kSeconds;
  std::uint64_t seed = 1;
  Time latency_min = 100;   // microseconds, one way
  Time latency_max = 2000;
  std::size_t pause_buffer = 256;  // datagrams a paused member's socket keeps
  Time timeline_bin = 5 * swim::kSeconds;
  swim::SwimConfig swim;
  swim::CentralConfig central;
};

// Checks the config; returns an error naming the field, or "" if valid.
std::string validate(const SimConfig& c);

// Runs the simulation and returns the result object (keys in README/MEMBERSHIP.md).
nlohmann::json run_membership_sim(const SimConfig& c);

}  // namespace faultline::node::sim

#endif  // FAULTLINE_NODE_SIM_MEMBERSHIP_SIM_H_
