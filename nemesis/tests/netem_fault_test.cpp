// Per-destination netem faults without a kernel: parameter validation,
// Jepsen's defaults, the conversion to netem's units, distribution tables,
// and the agent's flag handling (bad flags exit 2 before any netlink work;
// --dry-run shows the defaults it filled in).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include "faultline/process/command.h"
#include "packet/netem_distribution.h"
#include "packet/netem_fault.h"
#include "faultline/testing/paths.h"

namespace faultline::nemesis {
using process::CommandResult;
using process::Status;
using process::run_command;
namespace {

NetemFault with_dst(const std::string& dst = "10.9.0.2") {
  NetemFault f;
  f.destinations = {dst};
  return f;
}

TEST(NetemFault, JepsenDefaults) {
  DelayFault d = DelayFault::jepsen();
  EXPECT_EQ(d.ms, 50);
  EXPECT_EQ(d.jitter_ms, 10);
  EXPECT_EQ(d.correlation, 0);
  EXPECT_TRUE(d.distribution.empty());
  ChanceFault c = ChanceFault::jepsen();
  EXPECT_EQ(c.percent, 20);
  EXPECT_EQ(c.correlation, 75);
  EXPECT_EQ(kJepsenRateKbit, 1000u);
}

TEST(NetemFault, AcceptsEveryFaultAtOnce) {
  NetemFault f = with_dst();
  f.destinations.push_back("10.9.0.0/24");
  f.delay = DelayFault::jepsen();
  f.loss = f.duplicate = f.reorder = f.corrupt = ChanceFault::jepsen();
  f.rate_kbit = kJepsenRateKbit;
  Status st = validate(f);
  EXPECT_TRUE(st.ok) << st.error;
}

TEST(NetemFault, RejectsPercentOutsideRange) {
  struct Case {
    std::optional<ChanceFault> NetemFault::*field;
    ChanceFault value;
    std::string expected;
  };
  const Case cases[] = {
      {&NetemFault::loss, {100.5, 0}, "loss: 100.5 % is outside 0..100"},
      {&NetemFault::loss, {-1, 0}, "loss: -1 % is outside 0..100"},
      {&NetemFault::duplicate, {10, 101}, "duplicate correlation: 101 % is outside 0..100"},
      {&NetemFault::corrupt, {std::nan(""), 0}, "corrupt: nan % is outside 0..100"},
  };
  for (const auto& c : cases) {
    NetemFault f = with_dst();
    f.*(c.field) = c.value;
    Status st = validate(f);
    EXPECT_FALSE(st.ok);
    EXPECT_EQ(st.error, c.expected);
  }
  NetemFault delay = with_dst();
  delay.delay = DelayFault{.ms = 10, .jitter_ms = 2, .correlation = 120};
  EXPECT_EQ(validate(delay).error, "delay correlation: 120 % is outside 0..100");
}

TEST(NetemFault, RejectsReorderWithoutDelay) {
  NetemFault f = with_dst();
  f.reorder = ChanceFault::jepsen();
  Status st = validate(f);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.error.find("reorder needs a delay"), std::string::npos) << st.error;
  f.delay = DelayFault{.ms = 10};
  EXPECT_TRUE(validate(f).ok);
}

TEST(NetemFault, RejectsBadDestinations) {
  for (const char* bad : {"10.0.0", "10.0.0.256", "node-b", "", "10.0.0.1/33", "10.0.0.1/", "::1"}) {
    Status st = validate([&] {
      NetemFault f = with_dst(bad);
      f.loss = ChanceFault::jepsen();
      return f;
    }());
    EXPECT_FALSE(st.ok) << bad;
    EXPECT_NE(st.error.find(std::string("destination '") + bad + "'"), std::string::npos) << st.error;
  }
  NetemFault none;
  none.loss = ChanceFault::jepsen();
  EXPECT_EQ(validate(none).error, "no destination: name at least one IPv4 address");
}

TEST(NetemFault, RejectsAFaultWithNothingToDo) {
  Status st = validate(with_dst());
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.error.find("no fault"), std::string::npos);
}

TEST(NetemFault, DelayShapeNeedsJitterAndSaneValues) {
  NetemFault f = with_dst();
  f.delay = DelayFault{.ms = 10, .correlation = 25};
  EXPECT_EQ(validate(f).error, "delay correlation needs a jitter");
  f.delay = DelayFault{.ms = 10, .distribution = "normal"};
  EXPECT_EQ(validate(f).error, "delay distribution 'normal' needs a jitter");
  f.delay = DelayFault{.ms = 0};
  EXPECT_NE(validate(f).error.find("delay: 0 ms is outside"), std::string::npos);
  f.delay = DelayFault{.ms = 10, .jitter_ms = -1};
  EXPECT_NE(validate(f).error.find("delay jitter: -1 ms"), std::string::npos);
  f.delay = DelayFault{.ms = 10, .jitter_ms = 2, .distribution = "no-such-table"};
  EXPECT_NE(validate(f).error.find("no netem distribution table 'no-such-table'"), std::string::npos);
}

TEST(NetemFault, RejectsRateOutsideRange) {
  NetemFault f = with_dst();
  f.rate_kbit = 0;
  EXPECT_NE(validate(f).error.find("rate: 0 kbit/s is outside"), std::string::npos);
  f.rate_kbit = 20'000'000;
  EXPECT_FALSE(validate(f).ok);
  f.rate_kbit = 1;
  EXPECT_TRUE(validate(f).ok);
}

TEST(NetemFault, ConvertsToNetemUnits) {
  NetemFault f = with_dst();
  f.delay = DelayFault{.ms = 100.5, .jitter_ms = 10, .correlation = 25, .distribution = "normal"};
  f.loss = ChanceFault{50, 10};
  f.corrupt = ChanceFault{1, 0};
  NetemParams p = to_netem_params(f);
  EXPECT_EQ(p.delay_us, 100'500u);
  EXPECT_EQ(p.jitter_us, 10'000u);
  EXPECT_EQ(p.delay_correlation, 25);
  EXPECT_EQ(p.distribution, "normal");
  EXPECT_EQ(p.loss, 50);
  EXPECT_EQ(p.loss_correlation, 10);
  EXPECT_EQ(p.duplicate, 0);
  EXPECT_EQ(p.reorder, 0);
  EXPECT_EQ(p.corrupt, 1);
}

TEST(NetemFault, ProbabilityScale) {
  EXPECT_EQ(netem_probability(0), 0u);
  EXPECT_EQ(netem_probability(-3), 0u);
  EXPECT_EQ(netem_probability(100), std::numeric_limits<std::uint32_t>::max());
  EXPECT_NEAR(static_cast<double>(netem_probability(50)), 2147483647.5, 1.0);
  EXPECT_NEAR(static_cast<double>(netem_probability(75)), 0.75 * 4294967295.0, 1.0);
}

TEST(NetemFault, DescribesForLogs) {
  NetemFault f = with_dst();
  f.destinations.push_back("10.9.0.3");
  f.delay = DelayFault::jepsen();
  f.loss = ChanceFault::jepsen();
  f.rate_kbit = 1000;
  EXPECT_EQ(describe(f), "delay 50ms ±10ms, loss 20% (corr 75%), rate 1000kbit to 10.9.0.2,10.9.0.3");
  EXPECT_EQ(describe(QdiscInfo{"netem", kNetemHandle, kNetemBand}), "netem 40: parent 1:4");
  EXPECT_EQ(describe(QdiscInfo{"prio", kNetemPrioHandle, kTcRoot}), "prio 1: root");
}

// A distribution table in a scratch directory found through FAULTLINE_TC_DIST_DIR.
class Distribution : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/faultline-dist-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::setenv("FAULTLINE_TC_DIST_DIR", dir_.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("FAULTLINE_TC_DIST_DIR");
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ + "/" + name) << text; }
  std::string dir_;
};

TEST_F(Distribution, ReadsTcFormat) {
  write("tiny.dist", "# comment line\n-4096 -3000 0x10\n\n  12 32767 -32768\n");
  DistributionTable t;
  Status st = load_distribution("tiny", &t);
  ASSERT_TRUE(st.ok) << st.error;
  EXPECT_EQ(t.path, dir_ + "/tiny.dist");
  EXPECT_EQ(t.values, (std::vector<std::int16_t>{-4096, -3000, 16, 12, 32767, -32768}));
  DistributionTable by_path;
  ASSERT_TRUE(load_distribution(dir_ + "/tiny.dist", &by_path).ok);
  EXPECT_EQ(by_path.values, t.values);
}

TEST_F(Distribution, RejectsBadTables) {
  write("bad.dist", "1 2 3\n4 forty 6\n");
  DistributionTable t;
  Status st = load_distribution("bad", &t);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.error.find("line 2: 'forty' is not a 16-bit integer"), std::string::npos) << st.error;
  write("wide.dist", "40000\n");
  EXPECT_NE(load_distribution("wide", &t).error.find("'40000' is not a 16-bit integer"), std::string::npos);
  write("empty.dist", "# nothing\n");
  EXPECT_NE(load_distribution("empty", &t).error.find("holds no values"), std::string::npos);
  std::string big;
  for (std::size_t i = 0; i <= kNetemDistributionMax; ++i) big += "1\n";
  write("big.dist", big);
  EXPECT_NE(load_distribution("big", &t).error.find("more than 16384 values"), std::string::npos);
  Status missing = load_distribution("absent", &t);
  EXPECT_NE(missing.error.find(dir_ + "/absent.dist"), std::string::npos) << missing.error;
}

// iproute2's own tables, where the distribution installed them (Debian: the
// multiarch directory libnl does not search). iproute2 is a CI dependency.
TEST(NetemDistribution, FindsIproute2Tables) {
  for (const char* name : {"normal", "pareto", "paretonormal"}) {
    DistributionTable t;
    Status st = load_distribution(name, &t);
    ASSERT_TRUE(st.ok) << st.error;
    EXPECT_EQ(t.values.size(), 4096u) << t.path;
  }
}

// The agent, run for real: flag errors exit 2 before any netlink work, and
// --dry-run prints the fault with Jepsen's defaults filled in.
std::string agent() { return (faultline::testing::binary_dir() / "nemesis" / "faultline-agent").string(); }

CommandResult run_agent(std::vector<std::string> args) {
  args.insert(args.begin(), agent());
  return run_command(args, {.timeout = std::chrono::milliseconds(5000)});
}

TEST(NetemAgentFlags, DefaultsWhenAskedWithoutValues) {
  CommandResult r = run_agent({"netem", "--dev", "eth0", "--dst", "10.9.0.2,10.9.0.3", "--delay-ms", "--loss",
                               "--duplicate", "--reorder", "--corrupt", "--rate-kbit", "--dry-run"});
  ASSERT_TRUE(r.succeeded()) << r.describe();
  EXPECT_EQ(r.output,
            "netem on eth0 (dry run): delay 50ms ±10ms, loss 20% (corr 75%), duplicate 20% (corr 75%), "
            "reorder 20% (corr 75%), corrupt 20% (corr 75%), rate 1000kbit to 10.9.0.2,10.9.0.3\n");
}

TEST(NetemAgentFlags, GivenValuesAreTakenExactly) {
  CommandResult r = run_agent({"netem", "--dev", "eth0", "--dst", "10.9.0.2", "--delay-ms", "100", "--loss", "50",
                               "--corrupt", "--corrupt-corr", "10", "--dry-run"});
  ASSERT_TRUE(r.succeeded()) << r.describe();
  EXPECT_EQ(r.output, "netem on eth0 (dry run): delay 100ms ±0ms, loss 50% (corr 0%), corrupt 20% (corr 10%) "
                      "to 10.9.0.2\n");
  r = run_agent({"netem", "--dev", "eth0", "--dst", "10.9.0.2", "--delay-ms", "--jitter-ms", "5", "--delay-corr",
                 "25", "--distribution", "normal", "--dry-run"});
  ASSERT_TRUE(r.succeeded()) << r.describe();
  EXPECT_EQ(r.output, "netem on eth0 (dry run): delay 50ms ±5ms (corr 25%) normal to 10.9.0.2\n");
}

TEST(NetemAgentFlags, BadFlagsExitTwoWithAReason) {
  struct Case {
    std::vector<std::string> args;
    std::string reason;
  };
  const Case cases[] = {
      {{"--dst", "10.9.0.2", "--loss", "150"}, "loss: 150 % is outside 0..100"},
      {{"--dst", "10.9.0.2", "--reorder", "30"}, "reorder needs a delay"},
      {{"--dst", "10.9.0", "--loss"}, "destination '10.9.0': not an IPv4 address"},
      {{"--dst", "10.9.0.2", "--loss-corr", "5"}, "--loss-corr needs --loss"},
      {{"--dst", "10.9.0.2", "--jitter-ms", "5"}, "--jitter-ms needs --delay-ms"},
      {{"--dst", "10.9.0.2", "--delay-ms", "soon"}, "--delay-ms: 'soon' is not a number"},
      {{"--dst", "10.9.0.2", "--rate-kbit", "0.5"}, "--rate-kbit: '0.5' is not a whole number"},
      {{"--dst", "10.9.0.2"}, "no fault"},
      {{"--loss"}, "--dst is required"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"netem", "--dev", "eth0"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    CommandResult r = run_agent(args);
    EXPECT_TRUE(r.started && !r.timed_out);
    EXPECT_EQ(r.exit_code, 2) << c.reason << "\n" << r.output;
    EXPECT_NE(r.output.find(c.reason), std::string::npos) << r.output;
  }
}

// The controller's argv round-trips through the agent: the agent's dry run
// describes exactly the fault the arguments were made from.
TEST(NetemAgentFlags, ControllerArgumentsRoundTrip) {
  NetemFault f = with_dst("10.9.0.2");
  f.destinations.push_back("10.9.1.0/24");
  f.delay = DelayFault{.ms = 100.5, .jitter_ms = 0.25, .correlation = 12.5, .distribution = "pareto"};
  f.loss = ChanceFault{0.1, 0};
  f.duplicate = ChanceFault::jepsen();
  f.reorder = ChanceFault{33.3, 1};
  f.corrupt = ChanceFault{100, 100};
  f.rate_kbit = 2500;
  ASSERT_TRUE(validate(f).ok) << validate(f).error;
  std::vector<std::string> args = agent_netem_args("eth0", f);
  EXPECT_EQ(args[0], "netem");
  args.push_back("--dry-run");
  CommandResult r = run_agent(args);
  ASSERT_TRUE(r.succeeded()) << r.describe();
  EXPECT_EQ(r.output, "netem on eth0 (dry run): " + describe(f) + "\n");

  NetemFault plain = with_dst();
  plain.delay = DelayFault{.ms = 100};
  EXPECT_EQ(agent_netem_args("veth1", plain),
            (std::vector<std::string>{"netem", "--dev", "veth1", "--dst", "10.9.0.2", "--delay-ms", "100"}));
  EXPECT_EQ(agent_netem_clear_args("veth1"), (std::vector<std::string>{"netem-clear", "--dev", "veth1"}));
}

}  // namespace
}  // namespace faultline::nemesis
