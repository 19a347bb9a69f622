// The set workload. Private to faultline_workloads.
#ifndef FAULTLINE_WORKLOADS_SRC_SET_WORKLOAD_H_
#define FAULTLINE_WORKLOADS_SRC_SET_WORKLOAD_H_

#include <cstdint>
#include <vector>

#include "kv_workload.h"

namespace faultline::workloads::detail {

// History shape (model "set", checked by set-full with one set per key):
// f "add", key "e<n>", value n (the element, an integer), written with put;
// f "read", key "e<n>", value null on the invocation and on ok the set that
// key holds: [n] when the element is readable, [] when not. So each element
// is its own one-element set, and set-full's lost / stale / never-read
// verdicts are per element.
//
// Final phase: one read of every element any worker invoked an add for
// (up to 3 attempts if it fails), spread over the workers so that an
// element is read back through another worker (and so usually another node)
// than the one that added it.
class SetWorkload : public KvWorkload {
 public:
  explicit SetWorkload(WorkloadOptions options);
  void final_phase(history::HistoryWriter& history, Stats& stats,
                   std::chrono::steady_clock::time_point deadline) override;

 protected:
  Outcome execute(KvClient& client, const PlannedOp& op) override;
  void invoked(const Worker& worker, const PlannedOp& op) override;

 private:
  // Elements each worker invoked an add for; written only by that worker.
  std::vector<std::vector<std::int64_t>> added_;
};

}  // namespace faultline::workloads::detail

#endif  // FAULTLINE_WORKLOADS_SRC_SET_WORKLOAD_H_
