// register: reads and writes of unique integers on a few live keys at a
// time, each key retired after a bounded number of operations (see
// generator.h), checked per key for stale reads and linearizability.
#include "register_workload.h"

namespace faultline::workloads::detail {

using Clock = std::chrono::steady_clock;
using history::Json;
using history::OpType;

RegisterWorkload::RegisterWorkload(WorkloadOptions options)
    : KvWorkload("register", std::move(options)), written_(workers_.size()) {}

void RegisterWorkload::invoked(const Worker& worker, const PlannedOp& op) {
  if (op.f == "write") written_[static_cast<std::size_t>(worker.index)].insert(*op.key);
}

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
  const KvResult r = op.value.is_null() ? client.del(*op.key) : client.put(*op.key, op.value.dump());
  out.type = r.type;
  out.error = r.error;
  out.value = op.value;
  return out;
}

void RegisterWorkload::final_phase(history::HistoryWriter& history, Stats& stats, Clock::time_point deadline) {
  std::set<std::string> keys;
  for (const auto& mine : written_) keys.insert(mine.begin(), mine.end());
  // Key i (in sorted order) is read by worker i % n: an even spread over
  // the workers and so over the nodes.
  const std::size_t n = workers_.size();
  std::vector<std::vector<std::string>> to_read(n);
  std::size_t i = 0;
  for (const auto& k : keys) to_read[i++ % n].push_back(k);
  read_back(to_read, history, stats, deadline);
}

}  // namespace faultline::workloads::detail
