// Closed-loop load generator for faultline-node (issue 4's benchmark):
// C clients, each with its own connection, spread over the given nodes,
// doing put or get at a consistency level; prints throughput and latency
// percentiles next to the goal.
//
//   kv_bench --nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003
//            [--clients 64] [--seconds 10] [--op put|get] [--consistency QUORUM] [--value-bytes 1024] [--keys 10000]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "faultline/workloads/kv_client.h"

using faultline::workloads::KvClient;
using faultline::workloads::KvOptions;

int main(int argc, char** argv) {
  std::vector<std::string> nodes;
  int clients = 64, seconds = 10, keys = 10000;
  std::size_t value_bytes = 1024;
  std::string op = "put", consistency = "QUORUM";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--nodes") {
      std::stringstream ss(v);
      for (std::string n; std::getline(ss, n, ',');) nodes.push_back(n);
    } else if (a == "--clients") clients = std::stoi(v);
    else if (a == "--seconds") seconds = std::stoi(v);
    else if (a == "--keys") keys = std::stoi(v);
    else if (a == "--value-bytes") value_bytes = std::stoul(v);
    else if (a == "--op") op = v;
    else if (a == "--consistency") consistency = v;
    else {
      std::cerr << "kv_bench: unknown option " << a << "\n";
      return 254;
    }
  }
  if (nodes.empty() || (op != "put" && op != "get")) {
    std::cerr << "usage: kv_bench --nodes HOST:PORT[,...] [--clients N] [--seconds S] [--op put|get] "
                 "[--consistency LEVEL] [--value-bytes B] [--keys K]\n";
    return 254;
  }
  const std::string value(value_bytes, 'x');
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<double> latencies_us;
  std::atomic<long> ok{0}, failed{0};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      KvClient client(nodes[static_cast<std::size_t>(c) % nodes.size()], std::chrono::milliseconds(5000));
      KvOptions o;
      o.consistency = consistency;
      std::vector<double> mine;
      unsigned long seq = static_cast<unsigned long>(c) * 7919;
      while (!stop.load(std::memory_order_relaxed)) {
        const std::string key = "bench-" + std::to_string(seq++ % static_cast<unsigned long>(keys));
        const auto t0 = std::chrono::steady_clock::now();
        auto r = op == "put" ? client.put(key, value, o) : client.get(key, o);
        const auto t1 = std::chrono::steady_clock::now();
        if (r.ok()) {
          ++ok;
          mine.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        } else {
          ++failed;
        }
      }
      std::lock_guard lock(mu);
      latencies_us.insert(latencies_us.end(), mine.begin(), mine.end());
    });
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(latencies_us.begin(), latencies_us.end());
  auto pct = [&](double p) {
    return latencies_us.empty() ? 0.0 : latencies_us[static_cast<std::size_t>(p * (latencies_us.size() - 1))] / 1000.0;
  };
  std::printf("%s at %s: %d clients, %zu-byte values, %.1f s\n", op.c_str(), consistency.c_str(), clients,
              value_bytes, elapsed);
  std::printf("  throughput %.0f ops/s (%ld ok, %ld failed)\n", static_cast<double>(ok) / elapsed, ok.load(),
              failed.load());
  std::printf("  latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", pct(0.50), pct(0.99), pct(1.0));
  std::printf("  goal (issue 4, 3 nodes, fsync always): >= 20000 QUORUM puts/s, >= 50000 QUORUM gets/s, p99 < 5 ms\n");
  return 0;
}
