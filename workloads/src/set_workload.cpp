#include "set_workload.h"

#include <algorithm>

namespace faultline::workloads::detail {

using Clock = std::chrono::steady_clock;
using history::Json;
using history::OpType;

SetWorkload::SetWorkload(WorkloadOptions options)
    : KvWorkload("set", std::move(options)), added_(workers_.size()) {}

void SetWorkload::invoked(const Worker& worker, const PlannedOp& op) {
  if (op.f == "add") added_[static_cast<std::size_t>(worker.index)].push_back(op.value.get<std::int64_t>());
}

Outcome SetWorkload::execute(KvClient& client, const PlannedOp& op) {
  Outcome out;
  if (op.f == "read") {
    const KvResult r = client.get(*op.key);
    out.type = r.type;
    out.error = r.error;
    if (r.ok()) {
      out.value = Json::array();
      for (const auto& v : r.values()) out.value.push_back(parse_value(v));
    }
    return out;
  }
  const KvResult r = client.put(*op.key, op.value.dump());
  out.type = r.type;
  out.error = r.error;
  out.value = op.value;
  return out;
}

void SetWorkload::final_phase(history::HistoryWriter& history, Stats& stats, Clock::time_point deadline) {
  const std::size_t n = workers_.size();
  // Element e was added by worker e % n; worker (e + 1) % n reads it back.
  std::vector<std::vector<std::int64_t>> elements(n);
  for (const auto& mine : added_)
    for (std::int64_t e : mine) elements[static_cast<std::size_t>(e + 1) % n].push_back(e);
  std::vector<std::vector<std::string>> to_read(n);
  for (std::size_t w = 0; w < n; ++w) {
    std::sort(elements[w].begin(), elements[w].end());
    for (std::int64_t e : elements[w]) to_read[w].push_back("e" + std::to_string(e));
  }
  read_back(to_read, history, stats, deadline);
}

}  // namespace faultline::workloads::detail
