// The register workload. Private to faultline_workloads.
#ifndef FAULTLINE_WORKLOADS_SRC_REGISTER_WORKLOAD_H_
#define FAULTLINE_WORKLOADS_SRC_REGISTER_WORKLOAD_H_

#include "kv_workload.h"

namespace faultline::workloads::detail {

// History shape (model "register"): f "read" (value null on the invocation,
// the integer read or null for a key never written on ok) and f "write"
// (value the integer written, on invocation and completion), each with the
// key "r<slot>-<gen>". Values are sent to the node as decimal strings.
class RegisterWorkload : public KvWorkload {
 public:
  explicit RegisterWorkload(WorkloadOptions options);

 protected:
  Outcome execute(KvClient& client, const PlannedOp& op) override;
};

}  // namespace faultline::workloads::detail

#endif  // FAULTLINE_WORKLOADS_SRC_REGISTER_WORKLOAD_H_
