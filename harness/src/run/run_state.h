// What the steps of one `faultline run` share, and the helpers they use.
//
// run_test (runner.cpp) is a sequence of named steps, each in a file of its
// own: deploy and ready (run_deploy.cpp), the main phase with the nemesis
// (run_main_phase.cpp), heal, recovery and the final reads
// (run_final_phase.cpp), the check (run_check.cpp); teardown, storing and
// the reports stay in runner.cpp, which also decides what happens when a
// step throws. A step reads the configuration and what earlier steps left
// in RunState, and leaves its own results there.
#ifndef FAULTLINE_HARNESS_SRC_RUN_STATE_H_
#define FAULTLINE_HARNESS_SRC_RUN_STATE_H_

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/harness/backend.h"
#include "faultline/harness/run_store.h"
#include "faultline/harness/runner.h"
#include "faultline/history/jsonl.h"
#include "faultline/workloads/workload.h"
#include "run/run_nemesis.h"

namespace faultline::harness {

using Clock = std::chrono::steady_clock;

// A step overran its deadline. Objects the step's thread still uses are
// leaked on purpose rather than destroyed under it.
struct StepTimeout : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RunState {
  RunState(const RunConfig& c, std::ostream& p) : config(c), progress(p) {}

  const RunConfig& config;
  std::ostream& progress;
  const Clock::time_point t0 = Clock::now();  // the history's time zero
  RunOutcome outcome;
  RunRecord rec;
  std::filesystem::path dir;                 // the run directory
  nlohmann::json config_doc;                 // config.json
  nlohmann::json timings = nlohmann::json::object();
  nlohmann::json results;                    // results.json
  nlohmann::json nemesis_summary = nlohmann::json::object();

  // deploy
  std::unique_ptr<Backend> backend;
  std::vector<NodeAddress> nodes;
  std::map<std::string, NodeSpec> specs;
  std::filesystem::path clock_dir;           // offset files when clock faults run under libfaketime
  nlohmann::json node_configs = nlohmann::json::object();
  bool faults = false;                       // a nemesis was asked for
  std::unique_ptr<RunNemesis> nemesis;       // built once the cluster answers

  // main and final phase
  workloads::Stats stats;
  workloads::WorkloadOptions workload_options;
  std::unique_ptr<workloads::Workload> workload;
  workloads::CheckPlan plan;
  std::unique_ptr<history::HistoryWriter> writer;
  std::atomic<bool> stop{false};
  bool interrupted = false;

  // Polled by waits: on SIGINT/SIGTERM, stop the workload (once).
  void forward_signal();
};

// SIGINT or SIGTERM arrived during this run (see SignalScope).
bool signalled();

// Installs the run's SIGINT/SIGTERM handler for its lifetime. The handler
// resets itself, so a second signal kills the controller at once; `faultline
// cleanup` then removes what the run left.
class SignalScope {
 public:
  SignalScope();
  ~SignalScope();
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

 private:
  struct Saved;
  std::unique_ptr<Saved> saved_;
};

double seconds_since(Clock::time_point t);

// Runs `body` on its own thread and waits until it returns or `deadline`
// passes; `on_poll` runs every 100 ms meanwhile (forwarding signals).
// Returns false on a timeout, leaving the thread detached.
bool run_bounded(std::function<void()> body, Clock::time_point deadline, const std::function<void()>& on_poll);

void write_json(const std::filesystem::path& path, const nlohmann::json& doc);

// The steps, in order.
void deploy(RunState& s);           // config.json, backend, node configs, nodes started
void await_ready(RunState& s);      // every node answers; the nemesis is built
void run_main_phase(RunState& s);   // the workload under the nemesis, to the time limit
void run_final_phase(RunState& s);  // heal, recovery wait, final reads
void check_run(RunState& s);        // check and judge the history; the closing lines

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_SRC_RUN_STATE_H_
