// Linearizability checker benchmark: every row of the Porcupine conformance
// set (verdict checked, time per file) next to Porcupine's reference figures
// and the 5x targets, plus a generated 1,000,000-operation kv history.
//
//   linearizability_bench [--runs N] [--generated-ops N] [--no-generated]
//
// Times are medians over N runs (default 5) of check_linearizability alone
// (loading the file is timed apart), single-threaded unless stated, with
// witness shrinking off as in Porcupine's own timings; a second table gives
// the cost of shrinking witnesses on the invalid files.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "linearizability/linearizability.h"
#include "faultline/history/load.h"
#include "faultline/testing/paths.h"

using namespace faultline;
using check::LinModel;
using check::Validity;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct Row {
  std::string file, tsv_model, expected;
  LinModel model;
  history::History history;
  double load_seconds = 0;
  std::vector<double> times;
  Validity got = Validity::kUnknown;
};

const char* verdict_name(Validity v) {
  return v == Validity::kValid ? "linearizable" : v == Validity::kInvalid ? "not-linearizable" : "unknown";
}

check::Result timed_check(const history::History& h, LinModel model, unsigned threads, bool shrink, double* secs) {
  check::LinearizabilityOptions o;
  o.model = model;
  o.threads = threads;
  o.minimize_witness = shrink;
  const auto t = Clock::now();
  check::Result r = check::check_linearizability(h, o);
  *secs = seconds_since(t);
  return r;
}

// A kv workload over `keys` keys and `clients` clients, linearizable by
// construction: each op takes effect on a sequential map at an instant
// between its invocation and its completion. A few ops time out (info),
// some of them never taking effect.
history::History generate_kv(std::size_t ops, std::size_t keys, std::size_t clients, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  history::History h;
  h.ops.reserve(ops * 2);
  std::vector<std::string> state(keys);
  struct Client {
    std::int64_t process;
    int phase = 0;  // 0 idle, 1 invoked, 2 took effect
    std::string f, key, arg, result;
    bool lost = false;
  };
  std::vector<Client> cs(clients);
  for (std::size_t c = 0; c < clients; ++c) cs[c].process = static_cast<std::int64_t>(c);
  std::int64_t next_process = static_cast<std::int64_t>(clients);
  std::size_t invoked = 0, counter = 0;
  auto emit = [&](const Client& c, history::OpType type, history::Json value, const std::string& error = "") {
    history::Op op;
    op.index = static_cast<std::int64_t>(h.ops.size());
    op.time = op.index;
    op.process = c.process;
    op.type = type;
    op.f = c.f;
    op.key = c.key;
    op.value = std::move(value);
    op.error = error;
    h.ops.push_back(std::move(op));
  };
  std::size_t busy = 0;
  while (invoked < ops || busy > 0) {
    Client& c = cs[rng() % clients];
    if (c.phase == 0) {
      if (invoked == ops) continue;
      ++invoked;
      ++busy;
      const auto r = rng() % 4;
      c.f = r < 2 ? "get" : r == 2 ? "put" : "append";
      c.key = "k" + std::to_string(rng() % keys);
      c.arg = c.f == "get" ? "" : "v" + std::to_string(counter++) + ";";
      c.lost = rng() % 1000 == 0;  // times out without taking effect
      emit(c, history::OpType::kInvoke, c.f == "get" ? history::Json(nullptr) : history::Json(c.arg));
      c.phase = 1;
    } else if (c.phase == 1 && !c.lost) {
      std::string& v = state[std::stoul(c.key.substr(1))];
      if (c.f == "get") c.result = v;
      if (c.f == "put") v = c.arg;
      if (c.f == "append") v += c.arg;
      c.phase = 2;
    } else {
      --busy;
      if (c.lost || rng() % 1000 == 0) {
        emit(c, history::OpType::kInfo, nullptr, "timed-out");
        c.process = next_process++;
      } else {
        emit(c, history::OpType::kOk, c.f == "get" ? history::Json(c.result) : history::Json(c.arg));
      }
      c.phase = 0;
    }
  }
  return h;
}

// The conformance rows: each history with the verdict Porcupine gives it.
// Empty (after saying why) when the verdict list cannot be read.
std::optional<std::vector<Row>> load_rows() {
  const std::string dir = (faultline::testing::conformance_dir() / "porcupine").string() + "/";
  std::ifstream tsv(dir + "verdicts.tsv");
  if (!tsv) {
    std::fprintf(stderr, "cannot read %sverdicts.tsv\n", dir.c_str());
    return std::nullopt;
  }
  std::vector<Row> rows;
  std::string line;
  std::getline(tsv, line);  // header
  while (std::getline(tsv, line)) {
    std::istringstream in(line);
    Row r;
    if (!(in >> r.file >> r.tsv_model >> r.expected)) continue;
    r.model = r.tsv_model == "cas-register" ? LinModel::kCasRegister
              : r.tsv_model == "kv-per-key" ? LinModel::kKv
                                            : LinModel::kKvMap;
    const auto t = Clock::now();
    r.history = history::load_history(dir + r.file);
    r.load_seconds = seconds_since(t);
    rows.push_back(std::move(r));
  }

  return rows;
}

// Checks every row `runs` times; prints each row's verdict and times.
// Returns the rows whose verdict differs from Porcupine's.
int check_rows(std::vector<Row>& rows, int runs) {
  std::printf("Linearizability benchmark: %zu conformance rows, median of %d runs, 1 thread, no witness shrinking\n\n",
              rows.size(), runs);
  std::printf("%-22s %-13s %7s %-17s %-17s %10s %10s\n", "file", "model", "events", "expected", "got", "median ms", "min ms");
  int mismatches = 0;
  for (int run = 0; run < runs; ++run) {
    for (Row& r : rows) {
      double s;
      r.got = timed_check(r.history, r.model, 1, false, &s).valid;
      r.times.push_back(s);
    }
  }
  for (const Row& r : rows) {
    const bool ok = r.expected == verdict_name(r.got);
    mismatches += ok ? 0 : 1;
    std::printf("%-22s %-13s %7zu %-17s %-17s %10.3f %10.3f%s\n", r.file.c_str(), r.tsv_model.c_str(), r.history.ops.size(),
                r.expected.c_str(), verdict_name(r.got), median(r.times) * 1e3,
                *std::min_element(r.times.begin(), r.times.end()) * 1e3, ok ? "" : "   <-- MISMATCH");
  }

  return mismatches;
}

// Totals per run, then the median of those totals.
double total_seconds(const std::vector<Row>& rows, int runs, const std::function<bool(const Row&)>& pick) {
  std::vector<double> per_run(static_cast<std::size_t>(runs), 0.0);
  for (const Row& r : rows)
    if (pick(r))
      for (int k = 0; k < runs; ++k) per_run[static_cast<std::size_t>(k)] += r.times[static_cast<std::size_t>(k)];
  return median(per_run);
}

// The figures the issue compares with Porcupine; true when every 5x target is met.
bool print_figures(const std::vector<Row>& rows, int runs) {
  auto total = [&](auto pick) { return total_seconds(rows, runs, pick); };
  struct Figure {
    const char* name;
    double ours, porcupine;
  };
  const Figure figures[] = {
      {"all jepsen/etcd logs (cas-register)", total([](const Row& r) { return r.file.rfind("jepsen/", 0) == 0; }), 1.0},
      {"jepsen/etcd_002.log alone", total([](const Row& r) { return r.file == "jepsen/etcd_002.log"; }), 0.33},
      {"kv/c10-ok as kv-map", total([](const Row& r) { return r.file == "kv/c10-ok.txt" && r.model == LinModel::kKvMap; }), 3.1},
      {"kv/c10-bad as kv-map", total([](const Row& r) { return r.file == "kv/c10-bad.txt" && r.model == LinModel::kKvMap; }), 3.8},
      {"kv/c50-ok per key (kv)", total([](const Row& r) { return r.file == "kv/c50-ok.txt" && r.model == LinModel::kKv; }), 0.23},
  };
  std::printf("\n%-38s %12s %12s %12s %10s %s\n", "figure", "ours (s)", "Porcupine", "5x target", "speed-up", "");
  bool targets_met = true;
  for (const Figure& f : figures) {
    const bool met = f.ours <= f.porcupine / 5;
    targets_met = targets_met && met;
    std::printf("%-38s %12.4f %12.2f %12.3f %9.1fx %s\n", f.name, f.ours, f.porcupine, f.porcupine / 5,
                f.porcupine / std::max(f.ours, 1e-9), met ? "met" : "NOT MET");
  }
  std::printf("%-38s %12.4f\n", "whole conformance set", total([](const Row&) { return true; }));

  return targets_met;
}

// What witnesses cost: the invalid rows again with shrinking on, and the
// per-key model on every core.
void print_witness_cost(const std::vector<Row>& rows, int runs) {
  auto total = [&](auto pick) { return total_seconds(rows, runs, pick); };
  {
    std::vector<double> per_run;
    for (int k = 0; k < runs; ++k) {
      double sum = 0;
      for (const Row& r : rows) {
        if (r.got != Validity::kInvalid) continue;
        double s;
        timed_check(r.history, r.model, 1, true, &s);
        sum += s;
      }
      per_run.push_back(sum);
    }
    double plain = total([](const Row& r) { return r.got == Validity::kInvalid; });
    std::printf("\ninvalid rows with witness shrinking: %.4f s (without: %.4f s)\n", median(per_run), plain);
  }
  {
    std::vector<double> per_run;
    for (int k = 0; k < runs; ++k) {
      double s;
      for (const Row& r : rows)
        if (r.file == "kv/c50-ok.txt" && r.model == LinModel::kKv) timed_check(r.history, r.model, 0, false, &s), per_run.push_back(s);
    }
    std::printf("kv/c50-ok per key, threads = cores (%u): %.4f s\n", std::thread::hardware_concurrency(), median(per_run));
  }

}

// A generated million-op kv history, on one thread and on every core.
// Returns 1 when its verdict is not valid.
int check_generated(std::size_t generated_ops, int runs) {
  int mismatches = 0;
  const auto t = Clock::now();
  const history::History h = generate_kv(generated_ops, 1000, 20, 42);
  std::printf("\ngenerated kv history: %zu operations (%zu events), 1000 keys, 20 clients, built in %.2f s\n",
              generated_ops, h.ops.size(), seconds_since(t));
  const int gen_runs = std::min(runs, 3);
  for (unsigned threads : {1u, 0u}) {
    std::vector<double> times;
    Validity v = Validity::kUnknown;
    for (int k = 0; k < gen_runs; ++k) {
      double s;
      v = timed_check(h, LinModel::kKv, threads, false, &s).valid;
      times.push_back(s);
    }
    std::printf("  kv per key, %s: %-12s median %.3f s over %d runs (target < 10 s) %s\n",
                threads == 1 ? "1 thread        " : "threads = cores", verdict_name(v), median(times), gen_runs,
                v == Validity::kValid && median(times) < 10 ? "met" : "NOT MET");
    if (v != Validity::kValid) ++mismatches;
  }
  return mismatches;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  std::size_t generated_ops = 1000000;
  bool generated = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--generated-ops") && i + 1 < argc) generated_ops = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--no-generated")) generated = false;
    else {
      std::fprintf(stderr, "usage: %s [--runs N] [--generated-ops N] [--no-generated]\n", argv[0]);
      return 254;
    }
  }

  const std::optional<std::vector<Row>> loaded = load_rows();
  if (!loaded) return 254;
  std::vector<Row> rows = *loaded;
  int mismatches = check_rows(rows, runs);
  const bool targets_met = print_figures(rows, runs);
  print_witness_cost(rows, runs);
  if (generated) mismatches += check_generated(generated_ops, runs);

  std::printf("\n%s; %s\n", mismatches == 0 ? "all verdicts as expected" : "VERDICT MISMATCHES",
              targets_met ? "all 5x targets met" : "some 5x targets not met");
  return mismatches == 0 ? 0 : 1;
}
