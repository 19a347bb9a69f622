// Integration: the workloads against a real 3-node faultline-node cluster on
// loopback, their histories judged by the checkers their plan names.
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "faultline/history/jsonl.h"
#include "faultline/checker/registry.h"
#include "faultline/testing/node_cluster.h"
#include "faultline/testing/test_dir.h"
#include "faultline/workloads/workload.h"

namespace faultline::workloads {
namespace {

using Clock = std::chrono::steady_clock;

check::CheckOptions options_of(const CheckPlan& plan) {
  check::CheckOptions o;
  o.strict_stale = plan.strict_stale;
  return o;
}
using history::Op;
using history::OpType;
using node::testing::Cluster;
using node::testing::Json;
using node::testing::TestDir;

Json config(const std::string& preset) {
  return {{"preset", preset},
          {"peer_timeout_ms", 300},
          {"request_timeout_ms", 800},
          {"unreachable_after", 1},
          {"hint_replay_interval_ms", 100}};
}

WorkloadOptions options_for(const Cluster& c, const std::string& preset) {
  WorkloadOptions o;
  for (std::size_t i = 0; i < c.ids().size(); ++i)
    o.nodes.push_back({c.ids()[i], "127.0.0.1:" + std::to_string(c.port(static_cast<int>(i)))});
  o.preset = preset;
  o.seed = 20261126;
  o.rate = 300;  // the machine is shared; plenty of ops per key all the same
  o.op_timeout = std::chrono::milliseconds(1000);
  o.origin = Clock::now();
  return o;
}

void expect_all_completed(const history::History& h) {
  std::map<std::int64_t, int> open;
  for (const Op& op : h.ops) open[op.process] += op.is_invoke() ? 1 : -1;
  for (const auto& [process, n] : open) EXPECT_EQ(n, 0) << "process " << process;
}

std::string describe(const check::Report& report) {
  std::string s;
  for (const auto& r : report.results) s += check::to_json(r).dump().substr(0, 3000) + "\n";
  return s;
}

TEST(WorkloadCluster, FiveSecondRegisterRunOnSafeIsValid) {
  Cluster c(3, config("safe"));
  auto o = options_for(c, "safe");
  o.time_limit = std::chrono::seconds(5);
  auto workload = make_workload("register", o);
  TestDir dir("register-itest");
  const auto path = (dir.path() / "history.jsonl").string();
  Stats stats;
  std::atomic<bool> stop{false};
  std::int64_t main_ops = 0;
  {
    history::HistoryWriter writer(path, Json{{"workload", "register"}, {"seed", o.seed}});
    workload->run(writer, stop, stats);
    main_ops = stats.ok.load() + stats.fail.load() + stats.info.load();
    workload->final_phase(writer, stats, Clock::now() + std::chrono::seconds(5));
    writer.close();
  }
  const auto h = history::read_jsonl(path);
  expect_all_completed(h);
  const std::int64_t final_ops = stats.ok.load() + stats.fail.load() + stats.info.load() - main_ops;
  // 300 ops/s asked for 5 s (a loaded machine gives less), nearly all ok on
  // a healthy cluster.
  EXPECT_GT(stats.ok.load(), 500);
  EXPECT_LT(stats.fail.load() + stats.info.load(), stats.ok.load() / 20);
  std::set<std::string> keys, written;
  std::int64_t reads_of_values = 0, deletes = 0;
  for (const Op& op : h.ops) {
    keys.insert(*op.key);
    if (op.f == "read" && op.type == OpType::kOk && !op.value.is_null()) ++reads_of_values;
    if (op.f == "write" && op.is_invoke()) written.insert(*op.key);
    if (op.f == "write" && op.type == OpType::kOk && op.value.is_null()) ++deletes;
  }
  EXPECT_GT(keys.size(), 6u) << "keys were not rotated";  // 6 live keys at a time
  EXPECT_GT(reads_of_values, 200) << "reads should mostly see written values";
  EXPECT_GT(deletes, 10) << "a tenth of the writes should be deletes";
  // The final phase read every written key once (no failures on a healthy cluster).
  EXPECT_EQ(final_ops, static_cast<std::int64_t>(written.size()));
  EXPECT_EQ(stats.unread.load(), 0);
  {
    // A final phase out of time reads nothing, and says how much it left.
    Stats late;
    history::HistoryWriter writer((dir.path() / "late.jsonl").string(), Json{{"workload", "register"}});
    workload->final_phase(writer, late, Clock::now());
    writer.close();
    EXPECT_EQ(late.ok.load() + late.fail.load() + late.info.load(), 0);
    EXPECT_EQ(late.unread.load(), static_cast<std::int64_t>(written.size()));
    // ...and names the keys in the history, where the checkers see that the
    // main phase alone leaves acknowledged writes unproven: unknown, not valid.
    const auto meta = history::read_jsonl((dir.path() / "late.jsonl").string()).meta;
    ASSERT_TRUE(meta.contains("final_phase")) << meta.dump();
    EXPECT_EQ(meta["final_phase"]["unread"].size(), written.size());
    history::History main_only = h;
    main_only.ops.resize(static_cast<std::size_t>(2 * main_ops));
    main_only.meta["final_phase"] = meta["final_phase"];
    const auto plan = workload->check_plan();
    EXPECT_EQ(check::check_history(main_only, plan.model, options_of(plan)).valid, check::Validity::kUnknown);
  }

  std::printf("register/safe: ok %lld fail %lld info %lld, %zu keys\n", static_cast<long long>(stats.ok.load()),
              static_cast<long long>(stats.fail.load()), static_cast<long long>(stats.info.load()), keys.size());
  const auto plan = workload->check_plan();
  ASSERT_EQ(plan.model, "register");
  const auto report = check::check_history(h, plan.model, options_of(plan));
  ASSERT_EQ(report.results.size(), 2u);
  EXPECT_EQ(report.valid, check::Validity::kValid) << describe(report);
}

TEST(WorkloadCluster, SetRunWithFinalReadsOnSafeIsValid) {
  Cluster c(3, config("safe"));
  auto o = options_for(c, "safe");
  o.time_limit = std::chrono::seconds(3);
  auto workload = make_workload("set", o);
  TestDir dir("set-itest");
  const auto path = (dir.path() / "history.jsonl").string();
  Stats stats;
  std::atomic<bool> stop{false};
  {
    history::HistoryWriter writer(path, Json{{"workload", "set"}, {"seed", o.seed}});
    workload->run(writer, stop, stats);
    const auto final_start = Clock::now();
    workload->final_phase(writer, stats, final_start + std::chrono::seconds(10));
    const auto final_took = Clock::now() - final_start;
    EXPECT_LT(final_took, std::chrono::seconds(10));
    std::printf("set/safe: final phase took %.2f s\n", std::chrono::duration<double>(final_took).count());
    writer.close();
  }
  const auto h = history::read_jsonl(path);
  expect_all_completed(h);
  const auto plan = workload->check_plan();
  ASSERT_EQ(plan.model, "set");
  const auto report = check::check_history(h, plan.model, options_of(plan));
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.valid, check::Validity::kValid) << describe(report);
  const Json& d = report.results[0].details;
  std::printf("set/safe: attempts %s acknowledged %s stable %s reads %s\n", d["attempt_count"].dump().c_str(),
              d["acknowledged_count"].dump().c_str(), d["stable_count"].dump().c_str(), d["read_count"].dump().c_str());
  const int attempts = d["attempt_count"].get<int>();
  const int acknowledged = d["acknowledged_count"].get<int>();
  EXPECT_GT(acknowledged, 200);  // 300/s asked; a loaded machine gives less
  EXPECT_GE(acknowledged, attempts * 9 / 10);
  // The final phase read every element back, so every acknowledged add is
  // stable (and some unacknowledged ones may be too): none lost, and only
  // adds nobody saw acknowledged can be left unread.
  EXPECT_GE(d["stable_count"].get<int>(), acknowledged) << d.dump();
  EXPECT_EQ(d["lost_count"], 0);
  EXPECT_LE(d["never_read_count"].get<int>(), attempts - acknowledged);
}

TEST(WorkloadCluster, R1w1WithAPausedNodeCompletesEveryOpAndBreaksOnlyWhatItMay) {
  Cluster c(3, config("r1w1"));
  auto o = options_for(c, "r1w1");
  o.time_limit = std::chrono::seconds(4);
  auto workload = make_workload("register", o);
  TestDir dir("r1w1-itest");
  const auto path = (dir.path() / "history.jsonl").string();
  Stats stats;
  std::atomic<bool> stop{false};
  {
    history::HistoryWriter writer(path);
    std::thread nemesis([&] {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      c.pause(2);
      std::this_thread::sleep_for(std::chrono::seconds(2));
      c.resume(2);
    });
    workload->run(writer, stop, stats);
    nemesis.join();
    writer.close();
  }
  const auto h = history::read_jsonl(path);
  expect_all_completed(h);
  // The paused node's workers got no replies: their writes are info (and
  // their processes retired), their reads fail.
  std::int64_t n3_info = 0;
  std::set<std::int64_t> processes;
  for (const Op& op : h.ops) {
    processes.insert(op.process);
    if (op.node == "n3" && op.type == OpType::kInfo) ++n3_info;
  }
  EXPECT_GT(n3_info, 0);
  EXPECT_GT(processes.size(), 6u) << "info completions should have retired processes";
  EXPECT_GT(stats.ok.load(), 300);

  const auto plan = workload->check_plan();
  const auto report = check::check_history(h, plan.model, options_of(plan));
  EXPECT_NE(report.valid, check::Validity::kUnknown) << describe(report);
  const std::set<std::string> expected(plan.expected_anomalies.begin(), plan.expected_anomalies.end());
  for (const auto& r : report.results) {
    std::printf("register/r1w1 with n3 paused: %s %s, %zu anomalies\n", r.checker.c_str(),
                check::validity_to_json(r.valid).dump().c_str(), r.anomalies.size());
  }
  for (const auto& r : report.results)
    for (const auto& a : r.anomalies) EXPECT_TRUE(expected.count(a.kind)) << r.checker << ": " << a.kind << ": " << a.description;
}

}  // namespace
}  // namespace faultline::workloads
