#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands/commands.h"
#include "faultline/harness/doctor.h"

namespace faultline::cli {

void add_doctor_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("doctor", "Probe this machine and say which faults and features work");
  auto json = std::make_shared<bool>(false);
  auto timeout_ms = std::make_shared<int>(3000);
  cmd->add_flag("--json", *json, "Print the report as JSON instead of a table");
  cmd->add_option("--timeout-ms", *timeout_ms, "Deadline of each probe (they run in parallel)")
      ->check(CLI::Range(100, 60000))
      ->capture_default_str();
  cmd->footer(
      "Each probe really creates what it asks about (a namespace, veth pair, bridge, drop rule, netem qdisc,\n"
      "NFQUEUE binding, frozen cgroup, faked clock, SVG) in a scratch place that vanishes with it.\n"
      "Exits 0 even when capabilities are missing; each missing one says which features it disables.");
  cmd->callback([exit_code, json, timeout_ms] {
    harness::DoctorReport report = harness::run_doctor({.probe_timeout = std::chrono::milliseconds(*timeout_ms)});
    if (*json) {
      std::cout << harness::doctor_to_json(report).dump(2) << "\n";
    } else {
      std::cout << harness::format_doctor_table(report);
    }
    std::cout << std::flush;
    *exit_code = 0;
  });
}

}  // namespace faultline::cli
