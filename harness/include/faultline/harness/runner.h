// One test run, start to finish: deploy a cluster with a backend, wait until
// it serves, drive a workload (and, from issue 6, a nemesis schedule), heal,
// wait for recovery, run the final phase, tear down, check, store.
//
// Every step has a deadline; a step that overruns ends the run with verdict
// "error" and a reason naming the step, never a hang. SIGINT/SIGTERM stop the
// workload early and still tear the cluster down and store what was recorded.
#ifndef FAULTLINE_HARNESS_RUNNER_H_
#define FAULTLINE_HARNESS_RUNNER_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/checker/checker.h"
#include "faultline/harness/backend.h"

namespace faultline::harness {

struct RunConfig {
  int nodes = 5;
  std::string backend;  // "" = netns when root, else local
  std::string workload = "register";
  std::vector<std::string> nemesis = {"none"};  // faults, or "all" / "none"
  double nemesis_interval_s = 10;              // quiet time before each fault window
  std::vector<std::string> nemesis_targets;    // one|minority|majority|all; empty = any of them
  std::vector<std::string> packet_faults;      // delay|loss|duplicate|reorder|corrupt|rate; empty = all the mechanism can do
  std::string packet_mechanism;                // netem | nfqueue: probed by validate() when packet faults are on
  double time_limit_s = 60;
  double rate = 0;           // ops/s; 0 = unlimited
  int concurrency = 0;       // 0 = 2 per node
  double delete_fraction = 0.1;  // register: share of writes that delete the key
  int ops_per_key = 200;         // register: operations before a key is retired
  std::uint64_t seed = 0;    // 0 = pick one (recorded in config.json)
  std::string store_preset = "safe";
  // --expect: anomaly kinds this run should find (a weak preset's bug); the
  // exit code is then 0 when at least one anomaly was found and all were of
  // these kinds, 1 otherwise. Empty: the exit code is the verdict's.
  std::vector<std::string> expect;
  std::size_t max_witnesses = 10;  // anomalies listed per kind; all are counted
  std::vector<std::string> store_opts;  // "key=value", passed to every node's config
  int test_count = 1;
  bool leave_running = false;
  std::filesystem::path out = "store";
  double recovery_s = 10;    // wait after healing before the final phase
  double op_timeout_s = 1;   // client timeout per operation
  double ready_timeout_s = 30;
  std::filesystem::path node_binary;  // "" = find faultline-node next to faultline, then PATH
  std::filesystem::path agent_binary; // "" = find faultline-agent likewise (packet faults only)
  // --backend ssh (Jepsen's flags): hosts from a nodes file or --node flags;
  // validate() reads them into ssh_hosts and sets `nodes` to their count.
  std::filesystem::path nodes_file;
  std::vector<std::string> node_hosts;   // --node host | name=host
  std::string ssh_user = "root";
  std::filesystem::path ssh_private_key;
  int ssh_port = 22;
  bool strict_host_key_checking = false;
  std::vector<SshHost> ssh_hosts;

  nlohmann::json to_json() const;
};

// Checks flags and combinations before anything starts; returns the reason
// for the first problem ("--nodes must be at least 1, got 0"), or "" if fine.
// Fills defaults (backend, seed) in `config`.
std::string validate(RunConfig& config);

struct RunOutcome {
  check::Validity verdict = check::Validity::kUnknown;  // the model's, whatever the preset
  std::string headline;      // "valid", "INVALID — expected for r1w1: stale reads", ...
  bool expected = false;     // invalid with only anomalies the preset documents
  bool expect_given = false; // --expect was passed
  std::string expect_unmet;  // with --expect: why it was not met ("" = met)
  bool error = false;        // the run itself failed (a node did not start, a step timed out)
  std::string message;       // the reason when error
  bool interrupted = false;  // SIGINT/SIGTERM cut the run short
  std::filesystem::path dir; // where the run is stored
  std::string run_id;
};

// Runs one test. Progress goes to `progress` (a live line when it is a
// terminal). Throws only for programming errors; everything about the run
// ends up in the outcome and the store.
RunOutcome run_test(const RunConfig& config, std::ostream& progress);

// 0 valid, 1 invalid, 2 unknown, 255 when the run itself failed. With
// --expect: 0 when the expectation was met, else 1. Worst over several runs:
// invalid > unknown > valid.
int exit_code(const RunOutcome& outcome);

// The git commit faultline was built from ("unknown" outside a checkout),
// with "-dirty" when the tree had changes.
std::string build_commit();

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_RUNNER_H_
