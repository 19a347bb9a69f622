// `faultline run`'s flag checks: every bad flag or combination is refused
// with a reason naming it, before anything starts.
#include <gtest/gtest.h>

#include <cmath>

#include "faultline/harness/runner.h"
#include "faultline/reports/report_model.h"

namespace faultline::harness {
namespace {

std::string why(RunConfig c) {
  c.node_binary = "/bin/true";  // found and executable; nothing here starts it
  return validate(c);
}

void expect_refused(RunConfig c, const std::string& needle) {
  const std::string reason = why(c);
  EXPECT_NE(reason.find(needle), std::string::npos) << "reason: '" << reason << "'";
}

TEST(RunConfig, DefaultsAreValidAndFilled) {
  RunConfig c;
  c.backend = "local";
  c.node_binary = "/bin/true";
  EXPECT_EQ(validate(c), "");
  EXPECT_NE(c.seed, 0u) << "a seed is picked and recorded";
  RunConfig fixed;
  fixed.backend = "local";
  fixed.seed = 7;
  fixed.node_binary = "/bin/true";
  EXPECT_EQ(validate(fixed), "");
  EXPECT_EQ(fixed.seed, 7u);
}

TEST(RunConfig, BadValuesNameTheFlag) {
  RunConfig c;
  c.backend = "local";
  auto with = [&](auto change) {
    RunConfig x = c;
    change(x);
    return x;
  };
  expect_refused(with([](RunConfig& x) { x.nodes = 0; }), "--nodes");
  expect_refused(with([](RunConfig& x) { x.nodes = 1000; }), "--nodes");
  expect_refused(with([](RunConfig& x) { x.nodes = 2; }), "replication factor 3 exceeds 2 members");
  expect_refused(with([](RunConfig& x) { x.backend = "docker"; }), "--backend 'docker'");
  expect_refused(with([](RunConfig& x) { x.workload = "bank"; }), "--workload 'bank'");
  expect_refused(with([](RunConfig& x) { x.nemesis = {"earthquake"}; }), "unknown fault 'earthquake'");
  expect_refused(with([](RunConfig& x) { x.nemesis = {"kill"}; x.nemesis_interval_s = 0; }), "--nemesis-interval");
  expect_refused(with([](RunConfig& x) { x.time_limit_s = 0; }), "--time-limit");
  expect_refused(with([](RunConfig& x) { x.rate = -1; }), "--rate");
  expect_refused(with([](RunConfig& x) { x.concurrency = -2; }), "--concurrency");
  expect_refused(with([](RunConfig& x) { x.delete_fraction = 1.5; }), "--delete-fraction");
  expect_refused(with([](RunConfig& x) { x.delete_fraction = std::nan(""); }), "--delete-fraction");
  expect_refused(with([](RunConfig& x) { x.ops_per_key = 0; }), "--ops-per-key");
  expect_refused(with([](RunConfig& x) { x.test_count = 0; }), "--test-count");
  expect_refused(with([](RunConfig& x) { x.store_preset = "fast"; }), "--store-preset 'fast'");
  expect_refused(with([](RunConfig& x) { x.store_opts = {"fsync"}; }), "key=value");
  expect_refused(with([](RunConfig& x) { x.store_opts = {"preset=r1w1"}; }), "--store-preset");
  expect_refused(with([](RunConfig& x) { x.store_opts = {"no_such_knob=1"}; }), "no_such_knob");
  expect_refused(with([](RunConfig& x) { x.store_opts = {"fsync=sometimes"}; }), "fsync");
}

TEST(RunConfig, FewerNodesThanTheReplicationFactorNeedASmallerN) {
  RunConfig c;
  c.backend = "local";
  c.nodes = 1;
  c.store_opts = {"n=1"};
  EXPECT_EQ(why(c), "");
}

TEST(RunConfig, StoreOptionsOfTheRightTypeAreAccepted) {
  RunConfig c;
  c.backend = "local";
  c.store_opts = {"fsync=never", "vnodes=16", "hinted_handoff=false"};
  EXPECT_EQ(why(c), "");
}

TEST(RunConfig, AMissingNodeBinaryIsNamed) {
  RunConfig c;
  c.backend = "local";
  c.node_binary = "/nonexistent/faultline-node";
  EXPECT_NE(validate(c).find("/nonexistent/faultline-node"), std::string::npos);
}

// config.json records the replay line, derived from the options' one
// description; it must say what the reports' rebuild from the same fields
// says (that rebuild serves runs stored before the line was recorded).
TEST(RunConfig, TheRecordedReplayLineMatchesTheRebuildFromConfigJson) {
  RunConfig c;
  c.backend = "netns";
  c.seed = 42;
  c.nemesis = {"kill", "partition"};
  c.nemesis_targets = {"minority"};
  c.store_opts = {"read_repair=none", "hint_window_ms=100"};
  c.node_hosts = {"not-replayed"};
  c.expect = {"stale-read"};
  for (const std::string workload : {"register", "set"}) {
    c.workload = workload;
    nlohmann::json j = c.to_json();
    const std::string replay = j["replay"];
    j.erase("replay");
    EXPECT_EQ(replay, reports::replay_command(j));
    EXPECT_NE(replay.find("--nemesis kill,partition --nemesis-interval 10.0 --nemesis-targets minority"),
              std::string::npos)
        << replay;
    EXPECT_NE(replay.find("--store-opt read_repair=none --store-opt hint_window_ms=100"), std::string::npos) << replay;
    EXPECT_EQ(replay.find("--node "), std::string::npos) << "where the run ran is not replayed: " << replay;
    EXPECT_EQ(replay.find("--expect"), std::string::npos) << replay;
    EXPECT_EQ(replay.find("--delete-fraction") != std::string::npos, workload == "register") << replay;
  }
  c.nemesis = {"none"};
  EXPECT_EQ(c.to_json()["replay"].get<std::string>().find("--nemesis-interval"), std::string::npos)
      << "no faults, no fault options";
}

TEST(RunConfig, RangesNameTheFlagTheLimitAndTheValue) {
  auto with = [](auto change) {
    RunConfig c;
    change(c);
    return c;
  };
  EXPECT_EQ(why(with([](RunConfig& x) { x.ready_timeout_s = 0; })), "--ready-timeout must be positive, got 0.0");
  EXPECT_EQ(why(with([](RunConfig& x) { x.ssh_port = 0; })), "--ssh-port must be within [1, 65535], got 0");
  EXPECT_EQ(why(with([](RunConfig& x) { x.rate = -1; })), "--rate must be at least 0 (0 = unlimited), got -1.0");
  EXPECT_EQ(why(with([](RunConfig& x) { x.delete_fraction = std::nan(""); })),
            "--delete-fraction must be within [0, 1], got nan");
  EXPECT_EQ(why(with([](RunConfig& x) { x.max_witnesses = 0; })), "--max-witnesses must be within [1, 100000], got 0");
}

}  // namespace
}  // namespace faultline::harness
