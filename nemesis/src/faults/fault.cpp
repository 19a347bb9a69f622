#include "faultline/nemesis/fault.h"

#include <algorithm>

#include "faults/faults.h"

namespace faultline::nemesis {

std::chrono::milliseconds Fault::hold(std::mt19937_64&, std::chrono::milliseconds interval) { return interval; }

const std::vector<std::string>& known_faults() {
  static const std::vector<std::string> kFaults = {"partition", "packet", "pause", "kill", "clock", "zombie"};
  return kFaults;
}

std::vector<std::string> expand_faults(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  auto add = [&](const std::string& f) {
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
  };
  for (const auto& n : names) {
    if (n == "none") continue;
    if (n == "all") {
      for (const auto& f : known_faults()) add(f);
      continue;
    }
    if (std::find(known_faults().begin(), known_faults().end(), n) == known_faults().end()) {
      throw std::invalid_argument("unknown fault '" + n + "' (known: none, all, " + join(known_faults()) + ")");
    }
    add(n);
  }
  return out;
}

bool needs_network(const std::string& fault) { return fault == "partition" || fault == "packet"; }

const std::vector<std::string>& known_target_specs() {
  static const std::vector<std::string> kSpecs = {"one", "minority", "majority", "all"};
  return kSpecs;
}

std::vector<std::string> select_targets(const std::vector<std::string>& nodes, const std::string& spec,
                                        std::mt19937_64& rng) {
  const std::size_t n = nodes.size();
  std::size_t count = 0;
  if (spec == "one") {
    count = 1;
  } else if (spec == "minority") {
    count = std::max<std::size_t>(1, (n - 1) / 2);  // fewer than half
  } else if (spec == "majority") {
    count = n / 2 + 1;
  } else if (spec == "all") {
    count = n;
  } else {
    throw std::invalid_argument("unknown target set '" + spec + "' (known: " + join(known_target_specs()) + ")");
  }
  std::vector<std::string> chosen = nodes;
  shuffle_portably(chosen, rng);
  chosen.resize(std::min(count, n));
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

std::unique_ptr<Fault> make_fault(const std::string& name, NodeControl& control, const NemesisOptions& options) {
  if (name == "partition") return make_partition_fault(control, options);
  if (name == "packet") return make_packet_fault(control, options);
  if (name == "pause") return make_pause_fault(control, options);
  if (name == "kill") return make_kill_fault(control, options);
  if (name == "clock") return make_clock_fault(control, options);
  if (name == "zombie") return make_zombie_fault(control, options);
  throw std::invalid_argument("unknown fault '" + name + "' (known: " + join(known_faults()) + ")");
}

}  // namespace faultline::nemesis
