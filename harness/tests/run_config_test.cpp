// `faultline run`'s flag checks: every bad flag or combination is refused
// with a reason naming it, before anything starts.
#include <gtest/gtest.h>

#include <cmath>

#include "faultline/harness/runner.h"

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

}  // namespace
}  // namespace faultline::harness
