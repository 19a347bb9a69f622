// The part every faultline-node workload shares: one client worker per
// thread, pinned to a node, each with its own generator and process id, and
// the invoke / call / complete step that writes the history. Private to
// faultline_workloads.
#ifndef FAULTLINE_WORKLOADS_SRC_KV_WORKLOAD_H_
#define FAULTLINE_WORKLOADS_SRC_KV_WORKLOAD_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "generator.h"
#include "faultline/workloads/kv_client.h"
#include "faultline/workloads/workload.h"

namespace faultline::workloads::detail {

// What a client call came to, as its completion records it.
struct Outcome {
  history::OpType type = history::OpType::kFail;
  history::Json value;  // read: what was read (ok only); write/add: what was written
  std::string error;    // the node's or the client's code on fail/info
};

// An integer if `text` is exactly one in decimal, else the text itself (so
// a value nobody wrote shows up in the history as it was read).
history::Json parse_value(const std::string& text);

class KvWorkload : public Workload {
 public:
  KvWorkload(std::string name, WorkloadOptions options);
  std::string name() const override { return name_; }
  void run(history::HistoryWriter& history, const std::atomic<bool>& stop, Stats& stats) override;
  void final_phase(history::HistoryWriter& history, Stats& stats,
                   std::chrono::steady_clock::time_point deadline) override;
  CheckPlan check_plan() const override;

 protected:
  struct Worker {
    int index = 0;
    std::int64_t process = 0;        // current process id; + workers after an info
    const Endpoint* endpoint = nullptr;
    std::unique_ptr<KvClient> client;
    std::unique_ptr<OpGenerator> generator;
  };

  // The client call for `op`; writes nothing to the history.
  virtual Outcome execute(KvClient& client, const PlannedOp& op) = 0;
  // Told of every main-phase op just before it is invoked (same thread as
  // the worker; one worker never runs concurrently with itself).
  virtual void invoked(const Worker&, const PlannedOp&) {}

  // Invokes `op` in the history, runs it, records its one completion and
  // counts it; retires the process id on info. Returns the completion.
  Outcome perform(Worker& worker, const PlannedOp& op, history::HistoryWriter& history, Stats& stats);

  // Runs body(worker, halted) on one thread per worker and joins them all.
  // If a body throws, `halted` turns true for the others and the first
  // exception is rethrown once every thread has finished.
  void on_every_worker(const std::function<void(Worker&, const std::atomic<bool>& halted)>& body);

  // The final phases' reads: worker w reads each key of keys[w] once, in
  // order, with up to 3 attempts when a read fails; an op starts only while
  // op_timeout is left before `deadline`, so the phase ends by then. Keys
  // left unread at the deadline are counted in stats.unread.
  void read_back(const std::vector<std::vector<std::string>>& keys, history::HistoryWriter& history, Stats& stats,
                 std::chrono::steady_clock::time_point deadline);

  // Sleeps up to `d`, waking early when stopped() turns true.
  static void nap(std::chrono::milliseconds d, const std::function<bool()>& stopped);

  const WorkloadOptions options_;
  std::vector<Worker> workers_;

 private:
  std::int64_t now_ns() const;
  std::string name_;
};

}  // namespace faultline::workloads::detail

#endif  // FAULTLINE_WORKLOADS_SRC_KV_WORKLOAD_H_
