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
  std::vector<std::vector<std::int64_t>> to_read(n);
  for (const auto& elements : added_)
    for (std::int64_t e : elements) to_read[static_cast<std::size_t>(e + 1) % n].push_back(e);
  for (auto& list : to_read) std::sort(list.begin(), list.end());

  constexpr int kAttempts = 3;
  on_every_worker([&](Worker& worker, const std::atomic<bool>& halted) {
    // An op may take op_timeout; starting one only when that much time is
    // left keeps the whole phase within the deadline.
    const auto may_start = [&] { return !halted.load() && Clock::now() + options_.op_timeout <= deadline; };
    for (std::int64_t e : to_read[static_cast<std::size_t>(worker.index)]) {
      PlannedOp op{"read", "e" + std::to_string(e), Json()};
      for (int attempt = 0; attempt < kAttempts && may_start(); ++attempt) {
        const Outcome out = perform(worker, op, history, stats);
        if (out.type == OpType::kOk) break;
        if (out.error == "connect") nap(std::min(options_.op_timeout, std::chrono::milliseconds(100)), [&] { return halted.load(); });
      }
      if (!may_start()) return;
    }
  });
}

}  // namespace faultline::workloads::detail
