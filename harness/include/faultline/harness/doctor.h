// `faultline doctor`: every capability probe of this machine (nemesis/ for
// faults, reports/ for Graphviz), aggregated into one report that prints as
// a table for people or as JSON for the harness and tests.
#ifndef FAULTLINE_HARNESS_DOCTOR_H_
#define FAULTLINE_HARNESS_DOCTOR_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "faultline/nemesis/capabilities.h"

namespace faultline::harness {

struct DoctorOptions {
  // Each probe's deadline; probes run in parallel, so this bounds the whole.
  std::chrono::milliseconds probe_timeout{3000};
  std::optional<bool> privileged;  // default: euid == 0
};

struct DoctorReport {
  std::vector<nemesis::Capability> capabilities;  // in display order
  nemesis::Mechanisms mechanisms;
  std::string kernel;  // uname -r
  bool root = false;
  std::chrono::milliseconds elapsed{0};

  int ok_count() const;
  int missing_count() const;
};

// Probes this machine. Never throws for a missing capability; exits no
// process; leaves no namespace, cgroup, rule or file behind.
DoctorReport run_doctor(const DoctorOptions& options = {});

// Renders a tiny graph to SVG through libgvc, in a forked child (a crash in
// a plugin must not take doctor down).
nemesis::Capability probe_graphviz(std::chrono::milliseconds timeout);

// The table `faultline doctor` prints.
std::string format_doctor_table(const DoctorReport& report);

// The JSON `faultline doctor --json` prints (schema 1):
// {"schema":1,"kernel":..,"root":..,"elapsed_ms":..,
//  "summary":{"ok":N,"missing":M},
//  "mechanisms":{"partitions":..,"packet_faults":..,"pauses":..,"clock_skew":..},
//  "capabilities":[{"name","title","ok","probed","reason","disables":[..],"fallback"}...]}
// Keys keep this order in the output.
nlohmann::ordered_json doctor_to_json(const DoctorReport& report);
// Reads it back (e.g. a report saved with a run). Throws nlohmann::json
// exceptions on malformed input.
DoctorReport doctor_from_json(const nlohmann::json& json);

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_DOCTOR_H_
