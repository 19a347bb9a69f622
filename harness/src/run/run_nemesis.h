// The run's nemesis: its faults over the backend, its schedule, and where its
// windows and log lines go. Built after the cluster is ready; heal() runs
// before any teardown, whatever happened, so nothing stays frozen, skewed,
// partitioned or shaped.
#ifndef FAULTLINE_HARNESS_SRC_RUN_NEMESIS_H_
#define FAULTLINE_HARNESS_SRC_RUN_NEMESIS_H_

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/backend_control.h"
#include "faultline/harness/backend.h"
#include "faultline/harness/runner.h"
#include "faultline/history/jsonl.h"
#include "faultline/nemesis/schedule.h"

namespace faultline::harness {

class RunNemesis {
 public:
  RunNemesis(const RunConfig& config, Backend& backend, const std::vector<NodeAddress>& nodes,
             std::map<std::string, NodeSpec> specs, const std::filesystem::path& clock_dir,
             const nlohmann::json& node_config, const std::filesystem::path& run_dir,
             std::chrono::steady_clock::time_point t0, std::ostream& progress);

  // Windows go to the history from here on.
  void start(history::HistoryWriter& writer);
  // Closes any open window and heals every fault. Idempotent.
  std::vector<std::string> heal();

  int windows() const { return schedule_->windows_opened(); }
  int start_failures() const { return schedule_->start_failures(); }
  std::string active() const;  // "kill on n1,n2" while a window is open

 private:
  void record(const nemesis::FaultEvent& e);
  void log(const std::string& line);

  BackendNodeControl control_;
  std::mutex log_mu_;
  std::ofstream log_;
  const std::chrono::steady_clock::time_point t0_;
  mutable std::mutex mu_;
  history::HistoryWriter* writer_ = nullptr;
  std::string active_;
  std::mutex progress_mu_;
  bool running_ = false;
  bool healed_ = false;
  std::unique_ptr<nemesis::Schedule> schedule_;
};

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_SRC_RUN_NEMESIS_H_
