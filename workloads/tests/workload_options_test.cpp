// make_workload's option checks and each workload's check plan per preset.
#include "faultline/workloads/workload.h"

#include <cmath>
#include <functional>
#include <limits>

#include <gtest/gtest.h>

namespace faultline::workloads {
namespace {

WorkloadOptions good() {
  WorkloadOptions o;
  o.nodes = {{"n1", "127.0.0.1:7001"}, {"n2", "127.0.0.1:7002"}};
  return o;
}

// The message of the invalid_argument make_workload throws, or "" if none.
std::string error_of(const std::string& workload, const std::function<void(WorkloadOptions&)>& change) {
  auto o = good();
  change(o);
  try {
    make_workload(workload, o);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(WorkloadOptions, GoodOptionsMakeEveryKnownWorkload) {
  for (const auto& name : known_workloads()) {
    auto w = make_workload(name, good());
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->name(), name);
  }
  EXPECT_EQ(known_workloads(), (std::vector<std::string>{"register", "set"}));
}

TEST(WorkloadOptions, EachBadOptionIsNamed) {
  struct Case {
    std::function<void(WorkloadOptions&)> change;
    std::string names;
  };
  const std::vector<Case> cases = {
      {[](auto& o) { o.nodes.clear(); }, "nodes"},
      {[](auto& o) { o.nodes[1].address = "nohost"; }, "nodes[1].address"},
      {[](auto& o) { o.nodes[0].address = ":7001"; }, "nodes[0].address"},
      {[](auto& o) { o.nodes[1].node = "n1"; }, "nodes[1].node"},
      {[](auto& o) { o.nodes[0].node = ""; }, "nodes[0].node"},
      {[](auto& o) { o.concurrency = -1; }, "concurrency"},
      {[](auto& o) { o.rate = -5; }, "rate"},
      {[](auto& o) { o.rate = std::numeric_limits<double>::infinity(); }, "rate"},
      {[](auto& o) { o.time_limit = std::chrono::milliseconds(0); }, "time_limit"},
      {[](auto& o) { o.op_timeout = std::chrono::milliseconds(-1); }, "op_timeout"},
      {[](auto& o) { o.ops_per_key = 0; }, "ops_per_key"},
      {[](auto& o) { o.live_keys = -2; }, "live_keys"},
      {[](auto& o) { o.read_fraction = 1.5; }, "read_fraction"},
      {[](auto& o) { o.read_fraction = std::nan(""); }, "read_fraction"},
      {[](auto& o) { o.delete_fraction = -0.1; }, "delete_fraction"},
      {[](auto& o) { o.delete_fraction = std::nan(""); }, "delete_fraction"},
      {[](auto& o) { o.preset = "fast-and-loose"; }, "fast-and-loose"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    for (const auto& name : known_workloads()) {
      const std::string message = error_of(name, cases[i].change);
      EXPECT_NE(message.find(cases[i].names), std::string::npos)
          << "case " << i << " (" << name << "): expected an error naming " << cases[i].names << ", got \"" << message << "\"";
    }
  }
}

TEST(WorkloadOptions, UnknownWorkloadIsNamedWithTheKnownOnes) {
  try {
    make_workload("bank", good());
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"bank\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("register, set"), std::string::npos) << e.what();
  }
}

TEST(CheckPlan, SafeHoldsBothWorkloadsToEverything) {
  auto o = good();
  o.preset = "safe";
  const auto reg = make_workload("register", o)->check_plan();
  EXPECT_EQ(reg.model, "register");
  EXPECT_TRUE(reg.expected_anomalies.empty());
  const auto set = make_workload("set", o)->check_plan();
  EXPECT_EQ(set.model, "set");
  EXPECT_TRUE(set.strict_stale);
  EXPECT_TRUE(set.expected_anomalies.empty());
}

TEST(CheckPlan, R1w1ExpectsStaleReadsOnlyAndIsHeldToTheSameModel) {
  auto o = good();
  o.preset = "r1w1";
  const auto reg = make_workload("register", o)->check_plan();
  EXPECT_EQ(reg.expected_anomalies, (std::vector<std::string>{"stale-read", "nonlinearizable"}));
  EXPECT_EQ(reg.expected_for, "r1w1");
  const auto set = make_workload("set", o)->check_plan();
  // The verdict is the model's whatever the preset: stale set reads are
  // invalid under r1w1 too, only labelled expected.
  EXPECT_TRUE(set.strict_stale);
  EXPECT_EQ(set.expected_anomalies, (std::vector<std::string>{"stale"}));
}

TEST(CheckPlan, EveryDocumentedPresetHasAPlanAndNeverExpectsImpossibleValues) {
  for (const std::string preset : {"safe", "r1w1", "sloppy", "lww-wall", "no-repair", "fsync-never", "no-hints"}) {
    auto o = good();
    o.preset = preset;
    for (const auto& name : known_workloads()) {
      const auto plan = make_workload(name, o)->check_plan();
      for (const auto& kind : plan.expected_anomalies) {
        EXPECT_NE(kind, "impossible-read") << preset;
        EXPECT_NE(kind, "unexpected") << preset;
        EXPECT_NE(kind, "duplicated") << preset;
      }
    }
  }
}

}  // namespace
}  // namespace faultline::workloads
