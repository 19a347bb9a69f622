#include "check_plan.h"

#include <stdexcept>

namespace faultline::workloads::detail {
namespace {

// What each preset is documented to show (node/PRESETS.md), in the anomaly
// kinds our checkers report. The workloads send no consistency level, so
// reads and writes use the preset's own R and W. Expected anomalies are
// labelled in the results; they never make a run valid: the verdict is the
// model's (a linearizable register, a set whose reads see every acknowledged
// add), the same for every preset.
//   register: "stale-read" (register-stale-read) and "nonlinearizable"
//             (linearizable) are the two views of a read that missed a
//             write; "impossible-read" (a value nobody wrote) is never expected.
//   set:      "stale" (a read missed an element already known), "lost" (gone
//             for good); "duplicated" and "unexpected" are never expected.
struct PresetRules {
  const char* name;
  std::vector<std::string> register_expected;
  std::vector<std::string> set_expected;
};

const std::vector<PresetRules>& rules() {
  static const std::vector<PresetRules> table = {
      // Strict quorums, two-phase writes, blocking read repair: linearizable
      // single-key reads and writes, no acknowledged write lost.
      {"safe", {}, {}},
      // R = W = 1: a read at one replica misses a write acked by another.
      {"r1w1", {"stale-read", "nonlinearizable"}, {"stale"}},
      // Fallback acks during partitions are invisible to quorum reads.
      {"sloppy", {"stale-read", "nonlinearizable"}, {"stale"}},
      // Lost updates under clock skew need two writes of one key; set
      // elements are written once, so the set is still held to everything.
      {"lww-wall", {"stale-read", "nonlinearizable"}, {}},
      // Reads go backwards: a partially applied (info) add seen by one read
      // can be missed by the next, and by the final read too.
      {"no-repair", {"stale-read", "nonlinearizable"}, {"stale", "lost"}},
      // Acked writes lost when every replica loses its page cache (VM reset,
      // power loss); a surviving replica makes that a stale read first.
      {"fsync-never", {"stale-read", "nonlinearizable"}, {"stale", "lost"}},
      // Hints off only lets replicas diverge; the workloads read at the
      // preset's quorum, where that cannot show, so nothing is expected.
      {"no-hints", {}, {}},
      // Tombstones purged before anti-entropy spreads them: a deleted
      // register value comes back, which the checkers see as a stale read of
      // a deleted key (details.missed_delete). The set workload deletes
      // nothing, so it is held to everything.
      {"gc-grace", {"stale-read", "nonlinearizable"}, {}},
  };
  return table;
}

const PresetRules& find(const std::string& preset) {
  for (const auto& r : rules())
    if (preset == r.name) return r;
  std::string known;
  for (const auto& r : rules()) known += (known.empty() ? "" : ", ") + std::string(r.name);
  throw std::invalid_argument("preset: unknown preset \"" + preset + "\" (known: " + known + ")");
}

}  // namespace

const std::vector<std::string>& known_presets() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& r : rules()) out.push_back(r.name);
    return out;
  }();
  return names;
}

void require_known_preset(const std::string& preset) { find(preset); }

CheckPlan plan_for(const std::string& workload, const std::string& preset) {
  const PresetRules& r = find(preset);
  CheckPlan plan;
  plan.strict_stale = true;  // the model: reads see every acknowledged add
  plan.expected_for = r.name;
  if (workload == "register") {
    // "register", not "kv": its checkers are the stale-read checker and
    // linearizability on read/write registers ("kv" is linearizability
    // alone, on get/put/append strings).
    plan.model = "register";
    plan.expected_anomalies = r.register_expected;
  } else if (workload == "set") {
    plan.model = "set";
    plan.expected_anomalies = r.set_expected;
  } else {
    throw std::invalid_argument("no check plan for workload \"" + workload + "\"");
  }
  return plan;
}

}  // namespace faultline::workloads::detail
