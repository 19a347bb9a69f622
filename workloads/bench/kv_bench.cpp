// Closed-loop load generator for issue 4's benchmark: C clients, each with
// its own connection, spread round robin over the given nodes, doing put or
// get at a consistency level for a fixed time; prints throughput and latency
// percentiles. It drives faultline-node, or etcd as an outside reference
// through the same loop (bench/src/closed_loop.h); only the client differs.
//
//   kv_bench --nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003
//            [--target faultline|etcd] [--op put|get] [--consistency ONE|QUORUM|ALL]
//            [--clients 64] [--seconds 10] [--value-bytes 1024] [--keys 10000]
//            [--timeout-ms 5000] [--no-prefill]
//
// --nodes are faultline-node client addresses, or etcd members' client URLs
// as host:port (plain HTTP). Consistency on etcd:
//   get QUORUM = etcd's default linearizable range (ReadIndex via the leader)
//   get ONE    = range with "serializable": true (the member's local state)
//   put QUORUM = every etcd put: each goes through Raft, acknowledged once a
//                majority has it in its fsynced log
//   put ONE, ALL: no etcd equivalent; refused as a bad flag.
//
// Gets first write every key once (at QUORUM, untimed) so they read real
// values; --no-prefill skips that.
//
// Output: a human summary, then one machine-readable line
//   result target=etcd op=get consistency=ONE clients=64 value_bytes=1024 seconds=10.0
//          ops_per_s=... p50_ms=... p99_ms=... max_ms=... ok=... errors=...
// (workloads/bench/compare_etcd.sh reads it).
// Exit codes: 0 ran (errors are counted, not fatal), 1 no operation
// succeeded, 254 bad flags.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "src/bench_clients.h"
#include "src/closed_loop.h"

using namespace faultline::workloads::bench;

namespace {

constexpr int kBadFlags = 254;

// host:port with a port in range; CLI11 prints the message with the flag.
std::string check_address(const std::string& a) {
  const auto colon = a.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == a.size())
    return "'" + a + "' is not host:port";
  const std::string port = a.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoi(port) < 1 ||
      std::stoi(port) > 65535)
    return "'" + a + "': port must be 1..65535";
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kv_bench: closed-loop put/get benchmark for faultline-node or etcd"};
  std::string target = "faultline", op = "put", consistency = "QUORUM";
  std::vector<std::string> nodes;
  int clients = 64, seconds = 10, keys = 10000, timeout_ms = 5000;
  std::size_t value_bytes = 1024;
  bool no_prefill = false;
  app.add_option("--target", target, "system under test")->check(CLI::IsMember({"faultline", "etcd"}));
  app.add_option("--nodes", nodes, "client addresses host:port, comma separated")
      ->required()
      ->delimiter(',')
      ->check(CLI::Validator(check_address, "HOST:PORT"));
  app.add_option("--op", op, "operation")->check(CLI::IsMember({"put", "get"}));
  app.add_option("--consistency", consistency, "level (etcd: get ONE|QUORUM, put QUORUM)")
      ->check(CLI::IsMember({"ONE", "QUORUM", "ALL"}));
  app.add_option("--clients", clients, "concurrent clients, one connection each")->check(CLI::Range(1, 4096));
  app.add_option("--seconds", seconds, "measured duration")->check(CLI::Range(1, 3600));
  app.add_option("--value-bytes", value_bytes, "value size for puts")->check(CLI::Range(0, 16 << 20));
  app.add_option("--keys", keys, "distinct keys")->check(CLI::Range(1, 10000000));
  app.add_option("--timeout-ms", timeout_ms, "per-request timeout")->check(CLI::Range(1, 600000));
  app.add_flag("--no-prefill", no_prefill, "gets: do not write every key first");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints "kv_bench: <what> ..." with the flag's name
    return kBadFlags;
  }

  const auto timeout = std::chrono::milliseconds(timeout_ms);
  ClientFactory measured, writer;
  if (target == "faultline") {
    measured = faultline_clients(consistency, timeout);
    writer = faultline_clients("QUORUM", timeout);
  } else {
    if (consistency == "ALL") {
      std::cerr << "--consistency ALL: etcd has no ALL level (reads are linearizable or serializable, "
                   "writes are Raft majority)\n";
      return kBadFlags;
    }
    if (op == "put" && consistency != "QUORUM") {
      std::cerr << "--consistency " << consistency
                << " with --op put: etcd has no such write level; every etcd put is a Raft majority "
                   "commit (use QUORUM)\n";
      return kBadFlags;
    }
    measured = etcd_clients(consistency == "ONE", timeout);
    writer = etcd_clients(false, timeout);
  }

  LoopConfig config;
  config.addresses = nodes;
  config.clients = clients;
  config.duration = std::chrono::seconds(seconds);
  config.op = op == "put" ? BenchOp::kPut : BenchOp::kGet;
  config.value = std::string(value_bytes, 'x');
  config.keys = keys;

  if (config.op == BenchOp::kGet && !no_prefill) {
    // Bounded: a store too slow to take the keys in a minute is reported,
    // and the gets then partly read missing keys.
    const LoopResult p = prefill(config, writer, std::chrono::seconds(60));
    std::printf("prefill: %ld of %d keys written in %.1f s, %ld errors%s%s\n", p.ok, keys, p.elapsed_s, p.failed,
                p.first_error.empty() ? "" : "; first: ", p.first_error.c_str());
  }

  const LoopResult r = run_closed_loop(config, measured);
  std::printf("%s %s at %s: %d clients, %zu-byte values, %.1f s\n", target.c_str(), op.c_str(), consistency.c_str(),
              clients, value_bytes, r.elapsed_s);
  std::printf("  throughput %.0f ops/s (%ld ok, %ld errors)\n", r.ops_per_s(), r.ok, r.failed);
  std::printf("  latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", r.percentile_ms(0.50), r.percentile_ms(0.99),
              r.percentile_ms(1.0));
  if (!r.first_error.empty()) std::printf("  first error: %s\n", r.first_error.c_str());
  std::printf(
      "result target=%s op=%s consistency=%s clients=%d value_bytes=%zu seconds=%.1f ops_per_s=%.0f p50_ms=%.3f "
      "p99_ms=%.3f max_ms=%.3f ok=%ld errors=%ld\n",
      target.c_str(), op.c_str(), consistency.c_str(), clients, value_bytes, r.elapsed_s, r.ops_per_s(),
      r.percentile_ms(0.50), r.percentile_ms(0.99), r.percentile_ms(1.0), r.ok, r.failed);
  return r.ok > 0 ? 0 : 1;
}
