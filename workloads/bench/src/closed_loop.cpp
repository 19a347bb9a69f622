#include "closed_loop.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace faultline::workloads::bench {

double LoopResult::percentile_ms(double p) const {
  if (latencies_us.empty()) return 0.0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(latencies_us.size() - 1));
  return latencies_us[i] / 1000.0;
}

std::string key_name(long i) { return "bench-" + std::to_string(i); }

namespace {

// Per-thread counters are merged once at the end, so the loop itself shares
// nothing but the stop flag.
struct Collector {
  std::mutex mu;
  LoopResult result;
  void merge(long ok, long failed, std::vector<double>& lat, const std::string& first_error) {
    std::lock_guard lock(mu);
    result.ok += ok;
    result.failed += failed;
    result.latencies_us.insert(result.latencies_us.end(), lat.begin(), lat.end());
    if (result.first_error.empty()) result.first_error = first_error;
  }
};

// Runs `body(client, c, stop, timed)` on config.clients threads, each with
// its own client, until `stop_after` passes or a body sets `stop`; `timed`
// runs one call and counts it.
template <typename Body>
LoopResult run_threads(const LoopConfig& config, const ClientFactory& make_client, std::chrono::milliseconds stop_after,
                       Body body) {
  Collector collector;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < config.clients; ++c)
    threads.emplace_back([&, c] {
      auto client = make_client(config.addresses[static_cast<std::size_t>(c) % config.addresses.size()]);
      long ok = 0, failed = 0;
      std::vector<double> lat;
      std::string first_error;
      auto timed = [&](auto&& call) {
        const auto t0 = std::chrono::steady_clock::now();
        KvResult r = call();
        const auto t1 = std::chrono::steady_clock::now();
        if (r.ok()) {
          ++ok;
          lat.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        } else {
          ++failed;
          if (first_error.empty()) first_error = r.error + ": " + r.message;
        }
      };
      body(*client, c, stop, timed);
      collector.merge(ok, failed, lat, first_error);
    });
  // Sleep in small steps so a prefill that finishes early ends the wait.
  while (std::chrono::steady_clock::now() - start < stop_after) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (stop.load()) break;
  }
  stop = true;
  for (auto& t : threads) t.join();
  collector.result.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(collector.result.latencies_us.begin(), collector.result.latencies_us.end());
  return std::move(collector.result);
}

}  // namespace

LoopResult run_closed_loop(const LoopConfig& config, const ClientFactory& make_client) {
  return run_threads(config, make_client, config.duration,
                     [&](BenchClient& client, int c, std::atomic<bool>& stop, auto& timed) {
                       // Clients start far apart in the key space so they do
                       // not all hit the same key at once.
                       long seq = static_cast<long>(c) * 7919;
                       while (!stop.load(std::memory_order_relaxed)) {
                         const std::string key = key_name(seq++ % config.keys);
                         if (config.op == BenchOp::kPut)
                           timed([&] { return client.put(key, config.value); });
                         else
                           timed([&] { return client.get(key); });
                       }
                     });
}

LoopResult prefill(const LoopConfig& config, const ClientFactory& make_client, std::chrono::milliseconds deadline) {
  std::atomic<int> done{0};
  return run_threads(config, make_client, deadline,
                     [&](BenchClient& client, int c, std::atomic<bool>& stop, auto& timed) {
                       for (long k = c; k < config.keys && !stop.load(std::memory_order_relaxed); k += config.clients)
                         timed([&] { return client.put(key_name(k), config.value); });
                       // The last one out ends the wait early.
                       if (++done == config.clients) stop = true;
                     });
}

}  // namespace faultline::workloads::bench
