// The shaper's decisions without a kernel: parameter validation, the
// correlated coin's math, and the verdict timeline ShapeSchedule produces for
// packets arriving at known (fake) times with a seeded random source.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "packet/shape_agent.h"
#include "packet/shape_schedule.h"

namespace faultline::nemesis {
using process::Status;
namespace {

using namespace std::chrono_literals;
const ShapeClock::time_point kT0{};  // a fake clock's origin

ShapeParams delay_of(std::chrono::microseconds d) {
  ShapeParams p;
  p.delay = d;
  return p;
}

// --- validation ---------------------------------------------------------

TEST(ShapeParamsValidation, DefaultsArePassThroughAndValid) { EXPECT_TRUE(validate_shape_params(ShapeParams{})); }

TEST(ShapeParamsValidation, JepsensDefaultsAreValid) {
  for (const ShapeParams& p : {ShapeParams::jepsen_delay(), ShapeParams::jepsen_loss(), ShapeParams::jepsen_duplicate(),
                               ShapeParams::jepsen_corrupt(), ShapeParams::jepsen_reorder(), ShapeParams::jepsen_rate()}) {
    EXPECT_TRUE(validate_shape_params(p)) << validate_shape_params(p).error;
  }
  EXPECT_EQ(ShapeParams::jepsen_delay().delay, 50ms);
  EXPECT_EQ(ShapeParams::jepsen_delay().jitter, 10ms);
  EXPECT_DOUBLE_EQ(ShapeParams::jepsen_loss().loss, 0.2);
  EXPECT_DOUBLE_EQ(ShapeParams::jepsen_reorder().reorder_correlation, 0.75);
  EXPECT_EQ(ShapeParams::jepsen_rate().rate_kbit, 1000u);
}

TEST(ShapeParamsValidation, ProbabilitiesOutsideZeroToOneNameTheFlag) {
  ShapeParams p;
  p.loss = 1.5;
  Status st = validate_shape_params(p);
  EXPECT_FALSE(st);
  EXPECT_NE(st.error.find("--loss"), std::string::npos) << st.error;
  p = {};
  p.reorder_correlation = -0.1;
  p.delay = 10ms;
  st = validate_shape_params(p);
  EXPECT_FALSE(st);
  EXPECT_NE(st.error.find("--reorder-corr"), std::string::npos) << st.error;
  p = {};
  p.corrupt = std::nan("");
  EXPECT_FALSE(validate_shape_params(p));
}

TEST(ShapeParamsValidation, DelaysLimitAndRate) {
  ShapeParams p = delay_of(-1ms);
  EXPECT_NE(validate_shape_params(p).error.find("--delay-ms"), std::string::npos);
  p = delay_of(61s);
  EXPECT_FALSE(validate_shape_params(p));
  p = {};
  p.jitter = 61s;
  EXPECT_NE(validate_shape_params(p).error.find("--jitter-ms"), std::string::npos);
  p = {};
  p.limit = 0;
  EXPECT_NE(validate_shape_params(p).error.find("--limit"), std::string::npos);
  p = {};
  p.rate_kbit = 200'000'000;
  EXPECT_NE(validate_shape_params(p).error.find("--rate-kbit"), std::string::npos);
}

TEST(ShapeParamsValidation, ReorderNeedsADelay) {
  ShapeParams p;
  p.reorder = 0.25;
  Status st = validate_shape_params(p);
  EXPECT_FALSE(st);
  EXPECT_NE(st.error.find("--delay-ms"), std::string::npos) << st.error;
  p.delay = 10ms;
  EXPECT_TRUE(validate_shape_params(p));
}

TEST(ShapeParamsValidation, DuplicateIsAProbabilityToo) {
  ShapeParams p;
  p.duplicate = 0.2;
  EXPECT_TRUE(validate_shape_params(p));
  p.duplicate_correlation = 2;
  EXPECT_NE(validate_shape_params(p).error.find("--duplicate-corr"), std::string::npos);
}

TEST(ShaperSupport, EveryNetemFault) {
  for (PacketFault f : {PacketFault::delay, PacketFault::loss, PacketFault::duplicate, PacketFault::reorder,
                        PacketFault::corrupt, PacketFault::rate}) {
    EXPECT_TRUE(shaper_supports(f)) << packet_fault_name(f);
    EXPECT_EQ(parse_packet_fault(packet_fault_name(f)), f);
  }
  EXPECT_FALSE(parse_packet_fault("teleport").has_value());
  EXPECT_TRUE(check_shaper_supports({PacketFault::delay, PacketFault::loss, PacketFault::duplicate}));
  Status st = check_shaper_supports({PacketFault::loss, static_cast<PacketFault>(99)});
  EXPECT_FALSE(st);
  EXPECT_TRUE(st.unsupported);
  EXPECT_NE(st.error.find("needs sch_netem"), std::string::npos) << st.error;
}

// --- correlation math ---------------------------------------------------

TEST(CorrelatedCoin, NextProbabilityBlendsWithThePreviousDecision) {
  CorrelatedCoin coin(0.2, 0.75);
  EXPECT_DOUBLE_EQ(coin.next_probability(), 0.2);  // nothing to lean on yet: p itself
  EXPECT_FALSE(coin.flip(0.5));
  EXPECT_DOUBLE_EQ(coin.next_probability(), 0.25 * 0.2);  // after a "no"
  EXPECT_TRUE(coin.flip(0.0));
  EXPECT_DOUBLE_EQ(coin.next_probability(), 0.25 * 0.2 + 0.75);
  EXPECT_FALSE(coin.flip(0.99));
  EXPECT_DOUBLE_EQ(coin.next_probability(), 0.05);
  CorrelatedCoin never(0.0, 1.0);
  EXPECT_FALSE(never.flip(0.0));
  CorrelatedCoin always(1.0, 0.5);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(always.flip(0.999));
}

// The long-run rate stays p whatever the correlation, and a "yes" is followed
// by another with probability (1 - c) p + c: correlation makes bursts.
TEST(CorrelatedCoin, RateStaysPWhileRunsLengthen) {
  for (double c : {0.0, 0.5, 0.75, 0.9}) {
    CorrelatedCoin coin(0.2, c);
    ShapeRng rng(42);
    const int n = 400'000;
    int yes = 0, yes_after_yes = 0, after_yes = 0;
    bool last = false;
    for (int i = 0; i < n; ++i) {
      bool now = coin.flip(rng.uniform01());
      yes += now;
      if (last) {
        ++after_yes;
        yes_after_yes += now;
      }
      last = now;
    }
    EXPECT_NEAR(static_cast<double>(yes) / n, 0.2, 0.01) << "correlation " << c;
    EXPECT_NEAR(static_cast<double>(yes_after_yes) / after_yes, (1 - c) * 0.2 + c, 0.015) << "correlation " << c;
  }
}

TEST(ShapeRng, ReproducibleUniformAndNormalMoments) {
  ShapeRng a(7), b(7), c(8);
  EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(a.next(), c.next());
  ShapeRng r(1);
  double sum = 0, sq = 0, lo = 1, hi = 0;
  const int n = 200'000;
  for (int i = 0; i < n; ++i) {
    double u = r.uniform01();
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    double z = r.normal();
    sum += z;
    sq += z * z;
  }
  EXPECT_GE(lo, 0.0);
  EXPECT_LT(hi, 1.0);
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sq / n, 1.0, 0.02);
}

// --- the verdict timeline -----------------------------------------------

TEST(ShapeSchedule, PassThroughAcceptsEverythingAtOnce) {
  ShapeSchedule s(ShapeParams{}, 1);
  for (std::uint64_t k = 0; k < 100; ++k) {
    ShapeDecision d = s.admit(k, kT0 + std::chrono::milliseconds(k), 100);
    EXPECT_EQ(d.action, ShapeAction::accept_now);
    EXPECT_FALSE(d.corrupt || d.lost || d.reordered);
  }
  EXPECT_EQ(s.held(), 0u);
}

TEST(ShapeSchedule, FixedDelayReleasesEachPacketExactlyThatMuchLater) {
  ShapeSchedule s(delay_of(100ms), 1);
  for (std::uint64_t k = 0; k < 5; ++k) {
    ShapeDecision d = s.admit(k, kT0 + k * 10ms, 100);
    ASSERT_EQ(d.action, ShapeAction::hold);
    EXPECT_EQ(d.release_at, kT0 + k * 10ms + 100ms);
  }
  EXPECT_TRUE(s.take_due(kT0 + 99ms).empty());
  EXPECT_EQ(s.next_due(), kT0 + 100ms);
  EXPECT_EQ(s.take_due(kT0 + 120ms), (std::vector<std::uint64_t>{0, 1, 2}));
  EXPECT_EQ(s.take_all(), (std::vector<std::uint64_t>{3, 4}));
  EXPECT_FALSE(s.next_due().has_value());
}

TEST(ShapeSchedule, UniformJitterStaysWithinBoundsAndCoversThem) {
  ShapeParams p = delay_of(50ms);
  p.jitter = 10ms;
  p.limit = 1'000'000;  // all held at once here
  ShapeSchedule s(p, 3);
  ShapeClock::duration lo = 1h, hi = -1h;
  std::chrono::duration<double, std::milli> sum{0};
  const int n = 5000;
  for (int k = 0; k < n; ++k) {
    ShapeDecision d = s.admit(k, kT0, 100);
    ASSERT_EQ(d.action, ShapeAction::hold);
    ShapeClock::duration delay = d.release_at - kT0;
    lo = std::min(lo, delay);
    hi = std::max(hi, delay);
    sum += delay;
  }
  EXPECT_GE(lo, 40ms);
  EXPECT_LE(hi, 60ms);
  EXPECT_LT(lo, 41ms) << "the whole range must be used";
  EXPECT_GT(hi, 59ms);
  EXPECT_NEAR((sum / n).count(), 50.0, 0.5);
}

TEST(ShapeSchedule, NormalJitterHasTheGivenSpreadAndNeverGoesNegative) {
  ShapeParams p = delay_of(5ms);
  p.jitter = 10ms;
  p.distribution = JitterDistribution::normal;
  p.limit = 1'000'000;
  ShapeSchedule s(p, 4);
  int immediate = 0, beyond_one_sigma = 0;
  const int n = 20000;
  for (int k = 0; k < n; ++k) {
    ShapeDecision d = s.admit(k, kT0, 100);
    if (d.action == ShapeAction::accept_now) {
      ++immediate;  // a sample below zero is clamped to "now"
      continue;
    }
    auto delay = d.release_at - kT0;
    EXPECT_GT(delay, 0ms);
    if (delay > 15ms) ++beyond_one_sigma;
  }
  // P(N(5,10) < 0) = P(Z < -0.5) = 0.309; P(> 15) = P(Z > 1) = 0.159.
  EXPECT_NEAR(static_cast<double>(immediate) / n, 0.309, 0.02);
  EXPECT_NEAR(static_cast<double>(beyond_one_sigma) / n, 0.159, 0.02);
}

TEST(ShapeSchedule, LossDropsAboutTheFractionAndSameSeedSameVerdicts) {
  ShapeParams p;
  p.loss = 0.3;
  p.loss_correlation = 0.5;
  ShapeSchedule a(p, 99), b(p, 99), c(p, 100);
  int dropped = 0, differ = 0;
  const int n = 20000;
  for (int k = 0; k < n; ++k) {
    ShapeDecision da = a.admit(k, kT0, 100), db = b.admit(k, kT0, 100), dc = c.admit(k, kT0, 100);
    EXPECT_EQ(da.action, db.action);
    if (da.action == ShapeAction::drop) {
      EXPECT_TRUE(da.lost);
      ++dropped;
    }
    differ += da.action != dc.action;
  }
  EXPECT_NEAR(static_cast<double>(dropped) / n, 0.3, 0.02);
  EXPECT_GT(differ, 0) << "another seed must give other verdicts";
}

// Reordered packets leave at once while the rest wait, so a later packet is
// released before earlier ones: the on-the-wire order differs from arrival.
TEST(ShapeSchedule, ReorderLetsSomePacketsOvertakeTheDelayedOnes) {
  ShapeParams p = delay_of(50ms);
  p.reorder = 0.25;
  ShapeSchedule s(p, 5);
  std::vector<std::uint64_t> wire;
  int reordered = 0;
  const int n = 400;
  for (std::uint64_t k = 0; k < n; ++k) {
    auto now = kT0 + k * 1ms;
    for (auto key : s.take_due(now)) wire.push_back(key);
    ShapeDecision d = s.admit(k, now, 100);
    if (d.action == ShapeAction::accept_now) {
      EXPECT_TRUE(d.reordered);
      ++reordered;
      wire.push_back(k);
    } else {
      ASSERT_EQ(d.action, ShapeAction::hold);
      EXPECT_EQ(d.release_at, now + 50ms);
    }
  }
  for (auto key : s.take_all()) wire.push_back(key);
  ASSERT_EQ(wire.size(), static_cast<std::size_t>(n));
  int inversions = 0;
  for (std::size_t i = 1; i < wire.size(); ++i) inversions += wire[i] < wire[i - 1];
  EXPECT_NEAR(static_cast<double>(reordered) / n, 0.25, 0.06);
  EXPECT_GT(inversions, 40);
  std::vector<std::uint64_t> sorted = wire;
  std::sort(sorted.begin(), sorted.end());
  for (std::uint64_t k = 0; k < n; ++k) EXPECT_EQ(sorted[k], k) << "every packet released exactly once";
}

// 1000-byte packets at 80 kbit/s take 100 ms each: back-to-back arrivals
// leave one per 100 ms, after the delay.
TEST(ShapeSchedule, RateSpacesPacketsByTheirTransmissionTime) {
  ShapeParams p = delay_of(10ms);
  p.rate_kbit = 80;
  ShapeSchedule s(p, 1);
  for (std::uint64_t k = 0; k < 4; ++k) {
    ShapeDecision d = s.admit(k, kT0, 1000);
    ASSERT_EQ(d.action, ShapeAction::hold);
    EXPECT_EQ(d.release_at, kT0 + 10ms + (k + 1) * 100ms) << "packet " << k;
  }
  // An idle link does not bank credit: a packet long after leaves after its
  // own delay plus its own transmission time.
  ShapeDecision late = s.admit(9, kT0 + 10s, 500);
  EXPECT_EQ(late.release_at, kT0 + 10s + 10ms + 50ms);
}

TEST(ShapeSchedule, RateWithoutDelayStillHoldsPackets) {
  ShapeParams p;
  p.rate_kbit = 8;  // 1 byte per ms
  ShapeSchedule s(p, 1);
  EXPECT_EQ(s.admit(0, kT0, 10).release_at, kT0 + 10ms);
  EXPECT_EQ(s.admit(1, kT0, 10).release_at, kT0 + 20ms);
}

TEST(ShapeSchedule, LimitTailDropsOnceThatManyAreHeld) {
  ShapeParams p = delay_of(100ms);
  p.limit = 3;
  ShapeSchedule s(p, 1);
  for (std::uint64_t k = 0; k < 3; ++k) EXPECT_EQ(s.admit(k, kT0, 100).action, ShapeAction::hold);
  ShapeDecision d = s.admit(3, kT0, 100);
  EXPECT_EQ(d.action, ShapeAction::drop);
  EXPECT_TRUE(d.overflow);
  EXPECT_FALSE(d.lost);
  EXPECT_EQ(s.take_due(kT0 + 100ms).size(), 3u);
  EXPECT_EQ(s.admit(4, kT0 + 100ms, 100).action, ShapeAction::hold) << "room again once released";
}

TEST(ShapeSchedule, DuplicateMarksAboutTheFractionAndDelaysTheCopyWithIt) {
  ShapeParams p = delay_of(20ms);
  p.duplicate = 0.25;
  p.limit = 1'000'000;
  ShapeSchedule s(p, 12);
  int twice = 0;
  const int n = 10000;
  for (int k = 0; k < n; ++k) {
    ShapeDecision d = s.admit(k, kT0, 100);
    EXPECT_EQ(d.action, ShapeAction::hold) << "a duplicate leaves with its (delayed) original";
    twice += d.duplicate;
  }
  EXPECT_NEAR(static_cast<double>(twice) / n, 0.25, 0.015);
}

// As netem: loss takes one of a duplicated packet's two copies, so with
// loss 100 % exactly the duplicated packets still go out, once.
TEST(ShapeSchedule, LossOfADuplicatedPacketLeavesOneCopy) {
  ShapeParams p;
  p.duplicate = 0.3;
  p.loss = 1.0;
  ShapeSchedule s(p, 13);
  int passed = 0;
  const int n = 10000;
  for (int k = 0; k < n; ++k) {
    ShapeDecision d = s.admit(k, kT0, 100);
    EXPECT_FALSE(d.duplicate);
    if (d.action == ShapeAction::accept_now) ++passed;
  }
  EXPECT_NEAR(static_cast<double>(passed) / n, 0.3, 0.02);
}

TEST(ShapeSchedule, CorruptMarksAboutTheFraction) {
  ShapeParams p;
  p.corrupt = 0.1;
  ShapeSchedule s(p, 11);
  int corrupt = 0;
  std::map<std::uint64_t, int> bits;
  const int n = 10000;
  for (int k = 0; k < n; ++k) {
    ShapeDecision d = s.admit(k, kT0, 100);
    EXPECT_EQ(d.action, ShapeAction::accept_now);
    if (d.corrupt) {
      ++corrupt;
      ++bits[d.corrupt_bit % 64];
    }
  }
  EXPECT_NEAR(static_cast<double>(corrupt) / n, 0.1, 0.015);
  EXPECT_GT(bits.size(), 50u) << "flipped bits must spread over the packet";
}

// --- the agent's command line and its two lines -----------------------

TEST(ShapeAgentArgs, OnlyWhatDiffersFromTheAgentsDefaults) {
  ShaperOptions o;
  o.queue = 7;
  o.destinations = {"10.0.0.2", "10.0.0.3"};
  o.seed = 42;
  EXPECT_EQ(shape_agent_args(o), (std::vector<std::string>{"shape", "--queue", "7", "--dst", "10.0.0.2,10.0.0.3",
                                                           "--seed", "42"}));
  o.params.delay = 50ms;
  o.params.jitter = 10'500us;
  o.params.distribution = JitterDistribution::normal;
  o.params.loss = 0.2;
  o.params.loss_correlation = 0.75;
  o.params.duplicate = 0.05;
  o.params.rate_kbit = 1000;
  o.rules = ShapeRules::iptables;
  EXPECT_EQ(shape_agent_args(o, 30),
            (std::vector<std::string>{"shape", "--queue", "7", "--dst", "10.0.0.2,10.0.0.3", "--seed", "42",
                                      "--delay-ms", "50", "--jitter-ms", "10.5", "--distribution", "normal",
                                      "--loss", "0.2", "--loss-corr", "0.75", "--duplicate", "0.05",
                                      "--rate-kbit", "1000", "--rules", "iptables", "--duration-s", "30"}));
}

TEST(ShapeAgentLines, ReadyLineParses) {
  auto ready = parse_shape_ready_line("shaping queue=5 dst=10.0.0.2,10.0.0.3 mechanism=nfqueue rules=iptables");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->queue, 5);
  EXPECT_EQ(ready->destinations, (std::vector<std::string>{"10.0.0.2", "10.0.0.3"}));
  EXPECT_EQ(ready->mechanism, "nfqueue");
  EXPECT_EQ(ready->rules, "iptables");
  EXPECT_FALSE(parse_shape_ready_line("stopped queue=5").has_value());
  EXPECT_FALSE(parse_shape_ready_line("shaping queue=x dst=1.2.3.4 mechanism=nfqueue").has_value());
  EXPECT_FALSE(parse_shape_ready_line("").has_value());
}

TEST(ShapeAgentLines, StatsLineRoundTrips) {
  ShaperStats s;
  s.seen = 100;
  s.passed = 10;
  s.delayed = 50;
  s.dropped = 20;
  s.reordered = 5;
  s.corrupted = 3;
  s.duplicated = 4;
  s.overflow = 2;
  s.overruns = 1;
  s.verdict_errors = 6;
  s.released_at_stop = 7;
  auto parsed = parse_shaper_stats_line("stopped queue=3 " + s.describe());
  ASSERT_TRUE(parsed.has_value()) << s.describe();
  EXPECT_EQ(parsed->describe(), s.describe());
  EXPECT_FALSE(parse_shaper_stats_line("stopped queue=3 seen=1").has_value()) << "every counter is required";
  EXPECT_FALSE(parse_shaper_stats_line("shaping queue=3 " + s.describe()).has_value());
}

}  // namespace
}  // namespace faultline::nemesis
