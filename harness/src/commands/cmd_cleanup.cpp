// `faultline cleanup [--run ID] [--state-dir DIR] [--json]`: removes what runs
// left behind when their controller died (crash, kill -9): node processes,
// namespaces, bridge, veths, and the state files. Runs whose controller is
// still alive are left alone.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commands/commands.h"
#include "faultline/harness/backend.h"
#include "faultline/harness/cli.h"
#include "backends/run_removal.h"

namespace faultline::cli {

void add_cleanup_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("cleanup", "Remove namespaces, links and processes left by a crashed run");
  auto run_id = std::make_shared<std::string>();
  auto state_dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--run", *run_id, "Only this run's objects (default: every run whose controller is gone)");
  cmd->add_option("--state-dir", *state_dir,
                  "Where runs keep their manifests (default: " + harness::default_state_dir().string() + ")");
  cmd->add_flag("--json", *json, "Print what was removed as JSON");
  cmd->footer(
      "Finds runs through their manifests and through the names backends give their objects\n"
      "(namespaces faultline-<run>-<node>, bridge flb<run>, veths flv<run><i>, processes tagged\n"
      "FAULTLINE_RUN_ID). Safe to repeat. Exit 0 when everything found is gone, 1 when something\n"
      "could not be removed (each named on stderr), 254 on bad arguments.");
  cmd->callback([exit_code, run_id, state_dir, json] {
    if (!run_id->empty() && !harness::valid_run_id(*run_id)) {
      std::cerr << "faultline cleanup: --run '" << *run_id << "': expected 1-8 characters of [a-z0-9]\n";
      *exit_code = kExitUsage;
      return;
    }
    const harness::CleanupReport report = harness::cleanup_leftovers(*state_dir, *run_id);
    if (*json) {
      std::cout << nlohmann::json{{"removed", report.removed}, {"errors", report.errors}, {"skipped", report.skipped}}
                       .dump(2)
                << "\n";
    } else {
      if (report.removed.empty() && report.errors.empty()) {
        std::cout << "faultline cleanup: nothing to remove\n";
      } else {
        std::cout << "faultline cleanup: removed " << report.removed.size() << " object"
                  << (report.removed.size() == 1 ? "" : "s") << "\n";
      }
      for (const auto& r : report.removed) std::cout << "  removed " << r << "\n";
      for (const auto& s : report.skipped) std::cout << "  skipped " << s << "\n";
      for (const auto& e : report.errors) std::cerr << "faultline cleanup: could not remove " << e << "\n";
    }
    std::cout << std::flush;
    *exit_code = report.errors.empty() ? kExitValid : kExitInvalid;
  });
}

}  // namespace faultline::cli
