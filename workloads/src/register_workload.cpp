// register: reads and writes of unique integers on a few live keys at a
// time, each key retired after a bounded number of operations (see
// generator.h), checked per key for stale reads and linearizability.
#include "register_workload.h"

namespace faultline::workloads::detail {

using history::Json;
using history::OpType;

RegisterWorkload::RegisterWorkload(WorkloadOptions options) : KvWorkload("register", std::move(options)) {}

Outcome RegisterWorkload::execute(KvClient& client, const PlannedOp& op) {
  Outcome out;
  if (op.f == "read") {
    const KvResult r = client.get(*op.key);
    out.type = r.type;
    out.error = r.error;
    if (r.ok()) {
      const auto values = r.values();
      if (values.size() == 1) {
        out.value = parse_value(values[0]);
      } else if (!values.empty()) {
        // Siblings (vv): a register holds one value, so the checkers see a
        // value nobody wrote and say so; the history keeps what was read.
        out.value = Json::array();
        for (const auto& v : values) out.value.push_back(parse_value(v));
      }  // none: the key was never written, the register's initial null
    }
    return out;
  }
  const KvResult r = client.put(*op.key, op.value.dump());
  out.type = r.type;
  out.error = r.error;
  out.value = op.value;
  return out;
}

}  // namespace faultline::workloads::detail
