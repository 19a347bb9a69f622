// Workloads: what the clients do during a run, and how the history is judged.
//
// A workload owns its generator (seeded: the same seed and options give the
// same sequence of operations, values, keys and node choices) and its client
// workers. Each worker is pinned to one node, round-robin; it records every
// invocation and exactly one completion to the history writer; an `info`
// completion retires its process id and the worker continues under a new one
// (process ids then go p, p + concurrency, p + 2*concurrency, ...).
//
// Workloads:
//   register - single-key reads and writes of unique values over a few live
//              keys; a key is retired after ops_per_key operations and a fresh
//              one takes its place (Jepsen's independent generator), so each
//              key's history stays small enough to check. A delete_fraction
//              share of writes delete the key instead (recorded as writes of
//              null, the register's initial value). Final phase: one read of
//              every key written, after the faults are healed, so a key whose
//              last write was a delete shows whether the delete held (a
//              deleted value coming back is a stale read). Model "register"
//              (f "read"/"write", integer values or null for a delete, key
//              per register): the stale-read checker and linearizability.
//   set      - adds of unique integer elements, each its own key (written
//              with put; present = readable), reads of single elements, then
//              final reads of every element. Each element is its own keyed
//              set for the set-full checker. Model "set".
//
// Keys are "r<slot>-<generation>" (register) and "e<element>" (set): a run
// expects a store that holds none of them yet (a fresh cluster).
#ifndef FAULTLINE_WORKLOADS_WORKLOAD_H_
#define FAULTLINE_WORKLOADS_WORKLOAD_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faultline/history/jsonl.h"

namespace faultline::workloads {

struct Endpoint {
  std::string node;     // "n1": recorded as Op::node
  std::string address;  // "host:port"
};

struct WorkloadOptions {
  std::vector<Endpoint> nodes;                  // at least one
  std::uint64_t seed = 0;
  int concurrency = 0;                          // workers; 0 = 2 per node
  double rate = 0;                              // ops/s over all workers; 0 = as fast as they go
  std::chrono::milliseconds time_limit{60000};  // of the main phase
  std::chrono::milliseconds op_timeout{1000};   // client timeout per operation
  std::string preset = "safe";                  // the store's preset: which guarantees to hold it to
  int ops_per_key = 200;                        // register: operations before a key is retired
  int live_keys = 0;                            // register: keys in play at once; 0 = concurrency
  // Op mix of the main phase: the share of reads (register: reads vs writes;
  // set: reads of single elements vs adds). Unset = the workload's default
  // (register 0.5, set 0.2).
  std::optional<double> read_fraction;
  // register: the share of writes that are deletes, in [0, 1].
  double delete_fraction = 0.1;
  // Op::time is nanoseconds since this instant, the run's origin, which the
  // runner also uses for nemesis events.
  std::chrono::steady_clock::time_point origin = std::chrono::steady_clock::now();
};

// Counts shared with the runner's progress line. Updated by the workers.
struct Stats {
  std::atomic<std::int64_t> ok{0}, fail{0}, info{0};
  // Final phase: keys or elements it could not read (deadline, or every
  // attempt failed). They are also named in the history's meta
  // (final_phase.unread), where the checkers judge what they leave unproven.
  std::atomic<std::int64_t> unread{0};
};

// How to check this workload's history under the options' preset.
struct CheckPlan {
  std::string model;            // a checker registry model: "kv", "set", ...
  // Stale reads make the history invalid (presets that promise none; the
  // set model, whose reads must see every acknowledged add).
  bool strict_stale = false;
  // Anomaly kinds the preset is documented to show (node/PRESETS.md): an
  // invalid run that found only these is labelled "expected for <preset>";
  // it is still invalid.
  std::vector<std::string> expected_anomalies;
  std::string expected_for;  // the preset's name, for the label
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual std::string name() const = 0;

  // Main phase: runs the generator until time_limit or until `stop` becomes
  // true, whichever is first. Every operation it invoked is completed in the
  // history (ok/fail/info, a timeout being info for writes) before it returns.
  virtual void run(history::HistoryWriter& history, const std::atomic<bool>& stop, Stats& stats) = 0;

  // Final phase, after the runner healed every fault and waited for recovery:
  // e.g. set's reads of every element. Bounded by `deadline`.
  virtual void final_phase(history::HistoryWriter& history, Stats& stats,
                           std::chrono::steady_clock::time_point deadline) = 0;

  virtual CheckPlan check_plan() const = 0;
};

// Throws std::invalid_argument naming the bad option (unknown workload, no
// nodes, concurrency < 0, ...).
std::unique_ptr<Workload> make_workload(const std::string& name, const WorkloadOptions& options);
const std::vector<std::string>& known_workloads();

}  // namespace faultline::workloads

#endif  // FAULTLINE_WORKLOADS_WORKLOAD_H_
