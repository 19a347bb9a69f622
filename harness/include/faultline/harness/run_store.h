// The run store: one directory per run and a SQLite index of every run.
//
//   <root>/<test-name>/<timestamp>/   history.jsonl, config.json, results.json, nodes/<n>/...
//   <root>/<test-name>/latest         -> <timestamp>
//   <root>/latest                     -> <test-name>/<timestamp>
//   <root>/runs.db                    the index (table `runs`)
//
// A run is indexed when it begins (verdict "running") and updated when it
// ends, so a controller that died mid-run leaves a row saying so next to a
// history prefix that `faultline check` can still read.
#ifndef FAULTLINE_HARNESS_RUN_STORE_H_
#define FAULTLINE_HARNESS_RUN_STORE_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline::harness {

struct RunRecord {
  std::string id;          // the run id (also the backend's tag)
  std::string test_name;   // "<workload>-<preset>-<nemesis>"
  std::string started_at;  // UTC, ISO 8601
  std::string dir;         // the run's directory
  std::string workload, preset, nemesis, backend, commit;
  int nodes = 0;
  std::uint64_t seed = 0;
  nlohmann::json config = nlohmann::json::object();
  // "running" until finish(); then "valid", "invalid", "unknown" or "error".
  std::string verdict = "running";
  nlohmann::json anomalies = nlohmann::json::object();  // kind -> count (every one found)
  std::int64_t anomaly_count = 0;
  // Invalid, with only the anomalies its preset documents ("expected for r1w1").
  bool expected = false;
  std::int64_t ops_ok = 0, ops_fail = 0, ops_info = 0;
  double duration_s = 0;
  std::string error;  // why a run ended in "error"
};

struct RunFilter {
  std::string verdict, workload, commit;  // empty: any; commit matches a prefix
  int limit = 0;                          // 0: all
};

class RunStore {
 public:
  // Opens (creating) <root> and <root>/runs.db. Throws std::runtime_error
  // naming the path when either cannot be created.
  explicit RunStore(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }

  // Creates the run's directory, points the latest links at it and indexes
  // it as running. Fills record.dir and record.started_at.
  std::filesystem::path begin(RunRecord& record);
  // Stores the outcome fields of `record` (verdict, anomalies, counts, ...).
  void finish(const RunRecord& record);

  // Newest first.
  std::vector<RunRecord> list(const RunFilter& filter = {}) const;
  std::optional<RunRecord> find(const std::string& id) const;

 private:
  std::filesystem::path root_;
};

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_RUN_STORE_H_
