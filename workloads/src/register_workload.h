// The register workload. Private to faultline_workloads.
#ifndef FAULTLINE_WORKLOADS_SRC_REGISTER_WORKLOAD_H_
#define FAULTLINE_WORKLOADS_SRC_REGISTER_WORKLOAD_H_

#include <set>
#include <string>
#include <vector>

#include "kv_workload.h"

namespace faultline::workloads::detail {

// History shape (model "register"): f "read" (value null on the invocation,
// the integer read or null for a key never written on ok) and f "write"
// (value the integer written, on invocation and completion), each with the
// key "r<slot>-<gen>". Values are sent to the node as decimal strings. A
// write of null is a delete (the node's delete op).
//
// Final phase: one read of every key any worker invoked a write for (up to
// 3 attempts if it fails), the keys dealt out over the workers in sorted
// order, so over every node. Without it, a key whose last write was a
// delete would never be read again, and a delete undone after the fact (a
// resurrection) would go unseen.
class RegisterWorkload : public KvWorkload {
 public:
  explicit RegisterWorkload(WorkloadOptions options);
  void final_phase(history::HistoryWriter& history, Stats& stats,
                   std::chrono::steady_clock::time_point deadline) override;

 protected:
  Outcome execute(KvClient& client, const PlannedOp& op) override;
  void invoked(const Worker& worker, const PlannedOp& op) override;

 private:
  // Keys each worker invoked a write for; written only by that worker.
  std::vector<std::set<std::string>> written_;
};

}  // namespace faultline::workloads::detail

#endif  // FAULTLINE_WORKLOADS_SRC_REGISTER_WORKLOAD_H_
