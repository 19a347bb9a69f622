#include "kv_workload.h"

#include <algorithm>
#include <charconv>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "check_plan.h"
#include "rate_limiter.h"

namespace faultline::workloads::detail {

using Clock = std::chrono::steady_clock;
using history::OpType;

history::Json parse_value(const std::string& text) {
  std::int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec == std::errc() && ptr == end && !text.empty()) return v;
  return text;
}

KvWorkload::KvWorkload(std::string name, WorkloadOptions options) : options_(std::move(options)), name_(std::move(name)) {
  const int n = worker_count(options_);
  workers_.resize(static_cast<std::size_t>(n));
  for (int w = 0; w < n; ++w) {
    Worker& worker = workers_[static_cast<std::size_t>(w)];
    worker.index = w;
    worker.process = w;
    worker.endpoint = &options_.nodes[static_cast<std::size_t>(w) % options_.nodes.size()];
    worker.client = std::make_unique<KvClient>(worker.endpoint->address, options_.op_timeout);
    worker.generator = make_generator(name_, options_, w);
  }
}

CheckPlan KvWorkload::check_plan() const { return plan_for(name_, options_.preset); }

std::int64_t KvWorkload::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - options_.origin).count();
}

void KvWorkload::nap(std::chrono::milliseconds d, const std::function<bool()>& stopped) {
  const auto until = Clock::now() + d;
  while (!stopped()) {
    const auto now = Clock::now();
    if (now >= until) return;
    std::this_thread::sleep_for(std::min<Clock::duration>(until - now, std::chrono::milliseconds(10)));
  }
}

Outcome KvWorkload::perform(Worker& worker, const PlannedOp& op, history::HistoryWriter& history, Stats& stats) {
  history::Op inv;
  inv.process = worker.process;
  inv.type = OpType::kInvoke;
  inv.f = op.f;
  inv.key = op.key;
  inv.value = op.value;
  inv.node = worker.endpoint->node;
  inv.time = now_ns();
  history.append(inv);

  Outcome out;
  try {
    out = execute(*worker.client, op);
  } catch (const std::exception& e) {
    // Not expected from the client, but the invocation is in the history and
    // must be completed: unknown for a write, nothing happened for a read.
    worker.client->close();
    out.type = op.f == "read" ? OpType::kFail : OpType::kInfo;
    out.value = op.f == "read" ? history::Json() : op.value;
    out.error = std::string("client: ") + e.what();
  }

  history::Op done = inv;
  done.index = -1;
  done.time = now_ns();
  done.type = out.type;
  done.value = out.value;
  done.error = out.type == OpType::kOk ? "" : out.error;
  history.append(done);

  switch (out.type) {
    case OpType::kOk: ++stats.ok; break;
    case OpType::kFail: ++stats.fail; break;
    default:
      ++stats.info;
      // The op may still take effect at any time: this process can never
      // again be said to be done, so the worker carries on as a new one.
      worker.process += static_cast<std::int64_t>(workers_.size());
      break;
  }
  return out;
}

void KvWorkload::on_every_worker(const std::function<void(Worker&, const std::atomic<bool>& halted)>& body) {
  std::atomic<bool> halted{false};
  std::mutex error_mutex;
  std::exception_ptr error;
  std::vector<std::thread> threads;
  threads.reserve(workers_.size());
  for (Worker& worker : workers_) {
    threads.emplace_back([&, w = &worker] {
      try {
        body(*w, halted);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        halted = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

void KvWorkload::run(history::HistoryWriter& history, const std::atomic<bool>& stop, Stats& stats) {
  const auto end = Clock::now() + options_.time_limit;
  RateLimiter limiter(options_.rate);
  // A node that refuses connections answers at once; without a pause each
  // worker would fill the history with failed ops as fast as it can loop.
  const auto backoff = std::min(options_.op_timeout, std::chrono::milliseconds(100));
  on_every_worker([&](Worker& worker, const std::atomic<bool>& halted) {
    const std::function<bool()> stopped = [&] { return stop.load() || halted.load(); };
    while (!stopped() && Clock::now() < end) {
      if (!limiter.acquire(stopped, end)) break;
      const PlannedOp op = worker.generator->next();
      invoked(worker, op);
      const Outcome out = perform(worker, op, history, stats);
      if (out.type == OpType::kFail && out.error == "connect") nap(backoff, stopped);
    }
  });
}

void KvWorkload::final_phase(history::HistoryWriter&, Stats&, Clock::time_point) {}

void KvWorkload::read_back(const std::vector<std::vector<std::string>>& keys, history::HistoryWriter& history,
                           Stats& stats, Clock::time_point deadline) {
  constexpr int kAttempts = 3;
  std::mutex unread_mu;
  std::vector<std::string> unread;  // keys with no ok read in this phase
  on_every_worker([&](Worker& worker, const std::atomic<bool>& halted) {
    const auto w = static_cast<std::size_t>(worker.index);
    if (w >= keys.size()) return;
    // An op may take op_timeout; starting one only when that much time is
    // left keeps the whole phase within the deadline.
    const auto may_start = [&] { return !halted.load() && Clock::now() + options_.op_timeout <= deadline; };
    std::vector<std::string> missed;
    for (std::size_t i = 0; i < keys[w].size(); ++i) {
      const PlannedOp op{"read", keys[w][i], history::Json()};
      bool read = false;
      for (int attempt = 0; attempt < kAttempts && may_start(); ++attempt) {
        const Outcome out = perform(worker, op, history, stats);
        if (out.type == OpType::kOk) {
          read = true;
          break;
        }
        if (out.error == "connect") nap(std::min(options_.op_timeout, std::chrono::milliseconds(100)), [&] { return halted.load(); });
      }
      if (!read) missed.push_back(keys[w][i]);
    }
    stats.unread += static_cast<std::int64_t>(missed.size());
    std::lock_guard<std::mutex> lock(unread_mu);
    unread.insert(unread.end(), missed.begin(), missed.end());
  });
  // Named in the history, so the checkers can say which acknowledged writes
  // only these reads could have proven (final_reads.h).
  std::sort(unread.begin(), unread.end());
  history.append_meta({{"final_phase", {{"keys", std::accumulate(keys.begin(), keys.end(), std::size_t{0},
                                                                  [](std::size_t n, const auto& v) { return n + v.size(); })},
                                        {"unread", unread}}}});
}

}  // namespace faultline::workloads::detail
