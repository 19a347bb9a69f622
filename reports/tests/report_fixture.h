// Hand-made runs for the reports tests: a register history with a stale read
// under a partition, a clock fault and node logs with membership changes,
// checked by the real checkers so witness indices are the checkers' own.
#ifndef FAULTLINE_REPORTS_TESTS_REPORT_FIXTURE_H_
#define FAULTLINE_REPORTS_TESTS_REPORT_FIXTURE_H_

#include <filesystem>
#include <fstream>
#include <string>

#include "faultline/history/jsonl.h"
#include "faultline/checker/judge.h"
#include "faultline/checker/registry.h"
#include "faultline/reports/report_model.h"

namespace faultline::reports::testing {

using history::FaultPhase;
using history::OpType;

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kOrigin = 5'000'000'000'000;  // the controller's CLOCK_MONOTONIC at t0

class HistoryBuilder {
 public:
  explicit HistoryBuilder(std::string model = "register") {
    h_.meta = {{"model", model}, {"workload", "register"}, {"store_preset", "r1w1"}, {"seed", 42},
               {"run_id", "abc123"}, {"nodes", {"n1", "n2", "n3"}}, {"origin_mono_ns", kOrigin}};
  }
  // One operation: invoke at `from_ms`, completion (type) at `to_ms`.
  HistoryBuilder& op(std::int64_t process, const std::string& f, Json value, double from_ms, double to_ms,
                     OpType type = OpType::kOk, const std::string& key = "k1") {
    history::Op inv{.index = 0, .time = static_cast<std::int64_t>(from_ms * kMs), .process = process,
                    .type = OpType::kInvoke, .f = f, .key = key, .value = f == "read" ? Json() : value,
                    .node = "n" + std::to_string(process % 3 + 1), .error = ""};
    history::Op comp = inv;
    comp.time = static_cast<std::int64_t>(to_ms * kMs);
    comp.type = type;
    comp.value = value;
    pending_.push_back(inv);
    pending_.push_back(comp);
    return *this;
  }
  HistoryBuilder& fault(FaultPhase phase, const std::string& fault, std::vector<std::string> nodes, Json params,
                        double at_ms) {
    nemesis_.push_back({.index = 0, .time = static_cast<std::int64_t>(at_ms * kMs), .phase = phase, .fault = fault,
                        .nodes = std::move(nodes), .params = std::move(params)});
    return *this;
  }
  // Orders every event by time and numbers them.
  history::History build() {
    struct Ev { std::int64_t time; int kind; std::size_t i; };
    std::vector<Ev> evs;
    for (std::size_t i = 0; i < pending_.size(); ++i) evs.push_back({pending_[i].time, 0, i});
    for (std::size_t i = 0; i < nemesis_.size(); ++i) evs.push_back({nemesis_[i].time, 1, i});
    std::stable_sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.time < b.time; });
    history::History h = h_;
    std::int64_t index = 0;
    for (const auto& e : evs) {
      if (e.kind == 0) {
        auto op = pending_[e.i];
        op.index = index++;
        h.ops.push_back(op);
      } else {
        auto n = nemesis_[e.i];
        n.index = index++;
        h.nemesis.push_back(n);
      }
    }
    return h;
  }

 private:
  history::History h_;
  std::vector<history::Op> pending_;
  std::vector<history::NemesisEvent> nemesis_;
};

inline Json partition_params() {
  return {{"topology", "majority"}, {"grudge", {{"n1", {"n3"}}, {"n2", {"n3"}}, {"n3", {"n1", "n2"}}}}};
}

// A register history in which P2 reads 1 at 1.5 s although the write of 2
// completed at 1.1 s, while n3 is cut off from n1 and n2 (0.9 s to 2.0 s);
// later a clock fault puts n2 300 ms ahead (3.0 s to 4.0 s).
inline history::History stale_read_history() {
  HistoryBuilder b;
  b.op(0, "write", 1, 500, 600)
      .fault(FaultPhase::kStart, "partition", {"n1", "n2", "n3"}, partition_params(), 900)
      .op(1, "write", 2, 1000, 1100)
      .op(2, "read", 1, 1500, 1600)
      .fault(FaultPhase::kStop, "partition", {}, Json::object(), 2000)
      .op(0, "read", 2, 2500, 2600)
      .fault(FaultPhase::kStart, "clock", {"n2"}, {{"offsets_ms", {{"n2", 300}}}}, 3000)
      .op(1, "write", 3, 3100, 3200)
      .op(2, "read", 3, 3300, 3400)
      .fault(FaultPhase::kStop, "clock", {"n2"}, Json::object(), 4000)
      .op(0, "read", 3, 4100, 4200);
  return b.build();
}

// results.json as the runner writes it, from the real checkers.
// results.json as the runner writes it, judged with `expectation` (what the
// run's preset documents).
inline Json results_for(const history::History& h, const std::string& model = "register",
                        const check::Expectation& expectation = {}) {
  const check::Report report = check::check_history(h, model, {});
  const check::Judgement j = check::judge(report, expectation);
  const std::string verdict = j.valid == check::Validity::kValid     ? "valid"
                              : j.valid == check::Validity::kInvalid ? "invalid"
                                                                     : "unknown";
  Json out = {{"verdict", verdict}, {"results", j.results}, {"anomalies", j.counts}, {"model", model},
              {"expected", j.expected}, {"headline", j.headline()}};
  if (j.expected) out["expected_for"] = j.expected_for;
  return out;
}

inline Json config_json() {
  return {{"nodes", 3}, {"backend", "netns"}, {"workload", "register"}, {"nemesis", {"partition", "clock"}},
          {"time_limit_s", 5.0}, {"rate", 0.0}, {"concurrency", 0}, {"seed", 42}, {"store_preset", "r1w1"},
          {"store_opts", {"read_repair=none"}}, {"recovery_s", 10.0}, {"op_timeout_s", 1.0}, {"run_id", "abc123"},
          {"commit", "0123456789abcdef"}};
}

// A node log line (node/src/event_log.cpp's format) at `ms` on the run's clock.
inline std::string log_line(const std::string& node, double ms, const std::string& event, Json fields = Json::object()) {
  Json line = {{"wall", "2026-11-26T07:00:00.000000Z"}, {"mono_ns", kOrigin + static_cast<std::int64_t>(ms * kMs)},
               {"node", node}, {"level", "info"}, {"event", event}};
  for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  return line.dump();
}

// Writes a whole run directory as `faultline run` leaves it.
inline void write_run_dir(const std::filesystem::path& dir, const history::History& h, const Json& results,
                          const Json& config) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  history::write_jsonl((dir / "history.jsonl").string(), h);
  std::ofstream(dir / "results.json") << results.dump(2);
  std::ofstream(dir / "config.json") << config.dump(2);
  for (const std::string n : {"n1", "n2", "n3"}) {
    fs::create_directories(dir / "nodes" / n / "data");
    std::ofstream log(dir / "nodes" / n / "data" / "node.log");
    log << log_line(n, 10, "node_started") << "\n";
    if (n != "n3") log << log_line(n, 1300, "membership", {{"member", "n3"}, {"state", "suspect"}}) << "\n";
    if (n != "n3") log << log_line(n, 1700, "member_state", {{"member", "n3"}, {"state", "dead"}}) << "\n";
    if (n != "n3") log << log_line(n, 2300, "membership", {{"member", "n3"}, {"state", "alive"}}) << "\n";
    log << log_line(n, 1550, "read_repair", {{"key", "k1"}}) << "\n";
    log << log_line(n, 4500, "node_stopped") << "\n";
    std::ofstream(dir / "nodes" / n / "output.log") << "started " << n << "\n";
  }
}

}  // namespace faultline::reports::testing

#endif  // FAULTLINE_REPORTS_TESTS_REPORT_FIXTURE_H_
