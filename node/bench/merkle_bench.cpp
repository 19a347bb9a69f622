// merkle_bench: bytes and time for one anti-entropy exchange to repair k
// differing keys among n (default 1,000,000), for k = 0, 10, 1000.
//
// Two replicas of one range live in this process (src/ae_loopback.h), but
// everything between them is what nodes do: the same RangeTrees, the same
// exchange code (ae_exchange.h) and every message encoded, framed, parsed
// and validated as on the wire. Bytes are frame bytes in both directions.
//
// Each run changes k random keys on the responder (a newer version), runs
// one exchange from the other replica, and checks the replicas agree again.
//
//   merkle_bench [--keys 1000000] [--runs 5] [--depth 4] [--k 0,10,1000]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "anti_entropy/ae_loopback.h"

using namespace faultline::node;

namespace {

Record version(std::int64_t wall, const std::string& value) {
  Record r;
  Sibling s;
  s.value = value;
  s.stamp = {wall, 0, "n1"};
  r.siblings.push_back(std::move(s));
  return r;
}

template <class T>
T median(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  long keys = 1000000;
  int runs = 5, depth = 4;
  std::vector<long> ks = {0, 10, 1000};
  for (int i = 1; i < argc; ++i) {
    auto next = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "merkle_bench: %s needs a value\n", name);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--keys")) keys = std::atol(next("--keys"));
    else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(next("--runs"));
    else if (!std::strcmp(argv[i], "--depth")) depth = std::atoi(next("--depth"));
    else if (!std::strcmp(argv[i], "--k")) {
      ks.clear();
      std::stringstream ss(next("--k"));
      for (std::string part; std::getline(ss, part, ',');) ks.push_back(std::atol(part.c_str()));
    } else {
      std::fprintf(stderr, "usage: merkle_bench [--keys N] [--runs R] [--depth D] [--k 0,10,1000]\n");
      return 2;
    }
  }
  if (keys < 1 || runs < 1 || depth < 1 || depth > MerkleTree::kMaxDepth) {
    std::fprintf(stderr, "merkle_bench: --keys, --runs >= 1 and --depth in [1, %d]\n", MerkleTree::kMaxDepth);
    return 2;
  }
  for (long k : ks)
    if (k < 0 || k > keys) {
      std::fprintf(stderr, "merkle_bench: k=%ld not in [0, keys]\n", k);
      return 2;
    }

  RangeTrees ta(depth), tb(depth);
  MemoryAeStore a(ta, 0), b(tb, 0);
  AeResponder responder(tb, b, 64u << 20);
  const auto t_load = std::chrono::steady_clock::now();
  for (long i = 0; i < keys; ++i) {
    const std::string key = "user:" + std::to_string(i);
    const Record r = version(1000, "value-" + std::to_string(i));
    a.put(key, r);
    b.put(key, r);
  }
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count();
  std::printf("merkle_bench: %ld keys per replica, tree depth %d (%llu leaves, ~%.1f keys per leaf), %d runs; loaded in %.1f s\n",
              keys, depth, static_cast<unsigned long long>(MerkleTree::width(depth)),
              static_cast<double>(keys) / static_cast<double>(MerkleTree::width(depth)), runs, load_s);
  // What a node's storage writer pays per committed write to keep its tree:
  // the version digest (the record's JSON, hashed) and the leaf update,
  // measured over 100,000 updates of existing keys.
  {
    const long n = std::min(keys, 100000L);
    std::vector<std::pair<std::string, Record>> updates;
    for (long i = 0; i < n; ++i)
      updates.emplace_back("user:" + std::to_string(i), version(1500, "updated-" + std::to_string(i)));
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& [k, r] : updates) ta.update(0, k, r);
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    std::printf("tree upkeep per write (digest + leaf update): %.2f us\n", us / static_cast<double>(n));
    for (const auto& [k, r] : updates) ta.update(0, k, a.get(k));  // back to what the store holds
  }
  std::printf("%8s %14s %14s %12s %10s %12s %14s\n", "k", "bytes (median)", "bytes sent", "bytes recv", "messages",
              "time ms", "bytes per key");

  std::mt19937_64 rng(42);
  std::int64_t wall = 2000;
  for (long k : ks) {
    std::vector<std::uint64_t> bytes, sent, recv, msgs;
    std::vector<double> ms;
    for (int run = 0; run < runs; ++run) {
      // k distinct random keys get a newer version on the responder.
      std::vector<long> picked;
      while (static_cast<long>(picked.size()) < k) {
        long i = static_cast<long>(rng() % static_cast<std::uint64_t>(keys));
        if (std::find(picked.begin(), picked.end(), i) == picked.end()) picked.push_back(i);
      }
      ++wall;
      for (long i : picked) b.put("user:" + std::to_string(i), version(wall, "new-" + std::to_string(wall)));

      ExchangeResult res;
      ExchangeOptions o;
      o.self = "a";
      o.max_keys = static_cast<std::size_t>(keys);
      const auto t0 = std::chrono::steady_clock::now();
      run_exchange(ta, a, o, loopback_send(responder), [&](ExchangeResult r) { res = r; });
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      if (res.error) {
        std::fprintf(stderr, "merkle_bench: exchange failed: %s\n", res.error->c_str());
        return 1;
      }
      if (res.differing_keys != static_cast<std::uint64_t>(k)) {
        std::fprintf(stderr, "merkle_bench: found %llu differing keys, expected %ld\n",
                     static_cast<unsigned long long>(res.differing_keys), k);
        return 1;
      }
      const auto ra = ta.with(0, [](MerkleTree& t) { return t.root(); });
      const auto rb = tb.with(0, [](MerkleTree& t) { return t.root(); });
      if (ra != rb) {
        std::fprintf(stderr, "merkle_bench: replicas still differ after the exchange\n");
        return 1;
      }
      bytes.push_back(res.bytes_sent + res.bytes_received);
      sent.push_back(res.bytes_sent);
      recv.push_back(res.bytes_received);
      msgs.push_back(res.messages);
    }
    const auto b_med = median(bytes);
    std::printf("%8ld %14llu %14llu %12llu %10llu %12.2f %14s\n", k, static_cast<unsigned long long>(b_med),
                static_cast<unsigned long long>(median(sent)), static_cast<unsigned long long>(median(recv)),
                static_cast<unsigned long long>(median(msgs)), median(ms),
                k ? std::to_string(b_med / static_cast<std::uint64_t>(k)).c_str() : "-");
  }
  return 0;
}
