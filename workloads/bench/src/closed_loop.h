// The benchmark loop shared by every target kv_bench can drive: C clients,
// each on its own connection to one of the given addresses (round robin),
// each issuing its next request as soon as the last one answered (closed
// loop), for a fixed time. Targets differ only in the BenchClient they make.
#ifndef FAULTLINE_WORKLOADS_BENCH_CLOSED_LOOP_H_
#define FAULTLINE_WORKLOADS_BENCH_CLOSED_LOOP_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "faultline/workloads/kv_client.h"

namespace faultline::workloads::bench {

// One connection to one system under test, at the level the run measures.
class BenchClient {
 public:
  virtual ~BenchClient() = default;
  virtual KvResult put(const std::string& key, const std::string& value) = 0;
  virtual KvResult get(const std::string& key) = 0;
};

// Makes a client for one address ("host:port"); called once per client
// thread, on that thread.
using ClientFactory = std::function<std::unique_ptr<BenchClient>(const std::string& address)>;

enum class BenchOp { kPut, kGet };

struct LoopConfig {
  std::vector<std::string> addresses;
  int clients = 64;
  std::chrono::milliseconds duration{10000};
  BenchOp op = BenchOp::kPut;
  std::string value;  // what puts write
  int keys = 10000;   // keys are "bench-0" .. "bench-<keys-1>"
};

struct LoopResult {
  long ok = 0;
  long failed = 0;  // fail and info alike: both are errors for a benchmark
  double elapsed_s = 0;
  std::vector<double> latencies_us;  // of the ok operations, sorted
  std::string first_error;           // "code: message" of the first failure, for the report

  double ops_per_s() const { return elapsed_s > 0 ? static_cast<double>(ok) / elapsed_s : 0; }
  // p in [0, 1]; 0 when nothing succeeded.
  double percentile_ms(double p) const;
};

std::string key_name(long i);

// The measured run.
LoopResult run_closed_loop(const LoopConfig& config, const ClientFactory& make_client);

// Writes every key once (client c writes keys c, c+C, ...) so that gets read
// real values; stops at `deadline` if the system is slower than that.
LoopResult prefill(const LoopConfig& config, const ClientFactory& make_client, std::chrono::milliseconds deadline);

}  // namespace faultline::workloads::bench

#endif  // FAULTLINE_WORKLOADS_BENCH_CLOSED_LOOP_H_
