// Counter checker: hand-built bounds cases, then randomized histories from a
// simulated counter (never out of bounds), injected out-of-bounds reads
// (found on the right read), and agreement with brute-force bounds.
#include "counter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "scripted_history.h"
#include "simulated_history.h"

namespace faultline::check {
namespace {

using faultline::testing::Json;
using faultline::testing::Script;
using history::History;
using history::Op;
using history::OpType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::size_t count(const Result& r, const char* name) { return r.details.at(name).get<std::size_t>(); }

TEST(Counter, ReadsWithinBoundsAreValid) {
  Script s;
  s.invoke(0, "add", 1);
  s.ok(0);
  s.invoke(0, "add", 2);
  s.invoke(1, "read");  // concurrent with +2: 1 or 3
  s.ok(1, 3);
  s.ok(0);
  s.invoke(1, "read");
  s.ok(1, 3);
  const Result r = check_counter(s.history());
  EXPECT_EQ(r.checker, "counter");
  EXPECT_EQ(r.valid, Validity::kValid);
  EXPECT_EQ(count(r, "read_count"), 2u);
  EXPECT_EQ(r.details["final_bounds"], Json({{"lower", 3}, {"upper", 3}}));
  EXPECT_TRUE(r.anomalies.empty());
}

TEST(Counter, ReadBelowAcknowledgedIncrementsIsTooLow) {
  Script s;
  s.invoke(0, "add", 1);
  s.ok(0);
  s.invoke(0, "incr", nullptr);  // null delta: 1
  const auto last = s.ok(0);
  const auto read = s.invoke(1, "read");
  const auto done = s.ok(1, 1);
  const Result r = check_counter(s.history());
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(count(r, "too_low_count"), 1u);
  ASSERT_EQ(r.anomalies.size(), 1u);
  const Anomaly& a = r.anomalies[0];
  EXPECT_EQ(a.kind, "counter-too-low");
  EXPECT_EQ(a.details["lower"], 2);
  EXPECT_EQ(a.details["upper"], 2);
  EXPECT_EQ(a.details["value"], 1);
  EXPECT_THAT(a.witness, ElementsAre(last - 1, last, read, done));
  EXPECT_THAT(a.description, HasSubstr("returned 1, but increments acknowledged before it began already make at least 2"));
}

TEST(Counter, ReadAboveEverythingInvokedIsTooHigh) {
  Script s;
  s.invoke(0, "add", 2);
  s.ok(0);
  const auto read = s.invoke(1, "read");
  s.ok(1, 5);
  s.invoke(0, "add", 3);  // invoked after the read ended: cannot count
  s.ok(0);
  const Result r = check_counter(s.history());
  EXPECT_EQ(r.valid, Validity::kInvalid);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].kind, "counter-too-high");
  EXPECT_EQ(r.anomalies[0].details["upper"], 2);
  EXPECT_EQ(r.anomalies[0].details["read"]["invoke"], read);
  EXPECT_THAT(r.anomalies[0].description, HasSubstr("make at most 2"));
}

TEST(Counter, InfoIncrementsMayOrMayNotCount) {
  Script s;
  s.invoke(0, "add", 1);
  s.info(0);              // maybe
  s.invoke(2, "add", 10); // never completes: maybe
  s.invoke(1, "read");
  s.ok(1, 0);
  s.invoke(1, "read");
  s.ok(1, 11);
  s.invoke(1, "read");
  s.ok(1, 1);             // reads need not be monotonic: each is judged alone
  EXPECT_EQ(check_counter(s.history()).valid, Validity::kValid);
  s.invoke(1, "read");
  s.ok(1, 12);
  const Result r = check_counter(s.history());
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(count(r, "too_high_count"), 1u);
  EXPECT_EQ(count(r, "indeterminate_increment_count"), 2u);
}

TEST(Counter, FailedIncrementsNeverCount) {
  Script s;
  s.invoke(0, "add", 1);
  s.fail(0);
  s.invoke(1, "read");
  s.ok(1, 1);
  const Result r = check_counter(s.history());
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(r.anomalies[0].kind, "counter-too-high");
  EXPECT_EQ(count(r, "failed_increment_count"), 1u);
}

TEST(Counter, NegativeDeltasWidenTheBoundsDownwards) {
  Script s;
  s.invoke(0, "add", 5);
  s.ok(0);
  s.invoke(0, "add", -3);
  s.info(0);
  s.invoke(1, "read");
  s.ok(1, 2);  // 5 - 3
  s.invoke(1, "read");
  s.ok(1, 5);  // the decrement may not have happened
  EXPECT_EQ(check_counter(s.history()).valid, Validity::kValid);
  s.invoke(1, "read");
  s.ok(1, 1);
  const Result r = check_counter(s.history());
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].kind, "counter-too-low");
  EXPECT_EQ(r.anomalies[0].details["lower"], 2);
  EXPECT_EQ(r.anomalies[0].details["upper"], 5);
}

TEST(Counter, KeysAreIndependentCountersAndNullReadsAsZero) {
  Script s;
  s.invoke(0, "add", 1, "a");
  s.ok(0);
  s.invoke(1, "read", nullptr, "b");
  s.ok(1, nullptr);
  s.invoke(1, "read", nullptr, "a");
  s.ok(1, nullptr);
  const Result r = check_counter(s.history());
  EXPECT_EQ(count(r, "key_count"), 2u);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].details["key"], "a");
  EXPECT_THAT(r.anomalies[0].description, HasSubstr("the read of key \"a\""));
}

TEST(Counter, AnomaliesAreCappedWorstFirst) {
  Script s;
  s.invoke(0, "add", 10);
  s.ok(0);
  for (int v = 0; v < 6; ++v) {
    s.invoke(1, "read");
    s.ok(1, v);  // 10 - v below the bound
  }
  const Result r = check_counter(s.history(), CounterOptions{.max_reported = 2});
  EXPECT_EQ(count(r, "too_low_count"), 6u);
  ASSERT_EQ(r.anomalies.size(), 2u);
  EXPECT_EQ(r.anomalies[0].details["value"], 0);
  EXPECT_EQ(r.anomalies[1].details["value"], 1);
  EXPECT_EQ(r.details["anomalies_omitted"], Json({{"counter-too-low", 4}}));
  EXPECT_EQ(r.details["worst"].size(), 2u);
}

TEST(Counter, BadValuesAreUnknown) {
  Script s;
  s.invoke(0, "add", "x");
  s.ok(0);
  const Result r = check_counter(s.history());
  EXPECT_EQ(r.valid, Validity::kUnknown);
  EXPECT_THAT(r.details["error"].get<std::string>(), HasSubstr("increment must be an integer"));
}

// ------------------------------------------------------------- randomized

History simulate_counter(std::mt19937_64& rng, int processes, int ops_per_process, bool negatives) {
  struct Effect {
    std::int64_t time;
    std::size_t read;  // SIZE_MAX: an increment
    std::int64_t delta;
  };
  testing::SimEvents sim;
  std::vector<Effect> effects;
  std::int64_t next_process = processes;
  std::uniform_real_distribution<double> u(0, 1);
  for (int p = 0; p < processes; ++p) {
    std::int64_t process = p, t = 2 * static_cast<std::int64_t>(rng() % 5);
    for (int n = 0; n < ops_per_process; ++n) {
      const std::int64_t begin = t, end = t + 2 * (1 + static_cast<std::int64_t>(rng() % 10));
      const std::int64_t effect = begin + 1 + 2 * static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>((end - begin) / 2));
      const double roll = u(rng);
      if (u(rng) < 0.4) {
        sim.push(begin, process, OpType::kInvoke, "read", nullptr);
        effects.push_back(Effect{effect, sim.push(end, process, OpType::kOk, "read", nullptr), 0});
      } else {
        std::int64_t delta = 1 + static_cast<std::int64_t>(rng() % 5);
        if (negatives && u(rng) < 0.3) delta = -delta;
        sim.push(begin, process, OpType::kInvoke, "add", delta);
        if (roll < 0.08) {
          sim.push(end, process, OpType::kFail, "add", delta);
        } else if (roll < 0.16) {
          if (u(rng) < 0.5) sim.push(end, process, OpType::kInfo, "add", nullptr);
          if (u(rng) < 0.6) effects.push_back(Effect{begin + 1 + 2 * static_cast<std::int64_t>(rng() % 30), SIZE_MAX, delta});
          process = next_process++;
        } else {
          sim.push(end, process, OpType::kOk, "add", delta);
          effects.push_back(Effect{effect, SIZE_MAX, delta});
        }
      }
      t = end + 2 * static_cast<std::int64_t>(rng() % 3);
    }
  }
  std::sort(effects.begin(), effects.end(), [](const Effect& a, const Effect& b) { return a.time < b.time; });
  std::int64_t value = 0;
  for (const Effect& e : effects) {
    if (e.read == SIZE_MAX) {
      value += e.delta;
    } else {
      sim.at(e.read).value = value;
    }
  }
  return std::move(sim).history();
}

struct Bounds {
  std::size_t invoke, done;
  std::int64_t lower, upper;
};

// The bounds of counter.h, by brute force over every increment.
std::vector<Bounds> brute_bounds(const History& h) {
  using testing::Pair;
  const std::vector<Pair> pairs = testing::pairs_of(h);
  std::vector<Bounds> out;
  for (const Pair& r : pairs) {
    if (h.ops[r.invoke].f != "read" || !r.done || h.ops[*r.done].type != OpType::kOk) continue;
    Bounds b{r.invoke, *r.done, 0, 0};
    for (const Pair& i : pairs) {
      if (h.ops[i.invoke].f != "add") continue;
      const OpType t = i.done ? h.ops[*i.done].type : OpType::kInfo;
      const std::int64_t d = h.ops[i.invoke].value.get<std::int64_t>();
      if (t == OpType::kFail) continue;
      if (t == OpType::kOk && *i.done < r.invoke) {
        b.lower += d;
        b.upper += d;
      } else if (i.invoke < *r.done) {
        (d < 0 ? b.lower : b.upper) += d;
      }
    }
    out.push_back(b);
  }
  return out;
}

TEST(CounterRandom, SimulatedCountersAreNeverOutOfBounds) {
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    std::mt19937_64 rng(seed);
    const History h = simulate_counter(rng, 2 + static_cast<int>(seed % 7), 40, seed % 2 == 0);
    const Result r = check_counter(h);
    ASSERT_EQ(r.valid, Validity::kValid) << "seed " << seed << ": " << to_json(r).dump();
  }
}

TEST(CounterRandom, InjectedOutOfBoundsReadIsFoundOnThatRead) {
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    std::mt19937_64 rng(seed);
    History h = simulate_counter(rng, 4, 40, seed % 2 == 0);
    const auto bounds = brute_bounds(h);
    const Bounds& b = bounds[rng() % bounds.size()];
    const bool low = seed % 3 != 0;
    h.ops[b.done].value = low ? b.lower - 1 - static_cast<std::int64_t>(rng() % 3) : b.upper + 1;
    const Result r = check_counter(h);
    ASSERT_EQ(r.valid, Validity::kInvalid) << "seed " << seed;
    ASSERT_EQ(r.anomalies.size(), 1u);
    const Anomaly& a = r.anomalies[0];
    EXPECT_EQ(a.kind, low ? "counter-too-low" : "counter-too-high");
    EXPECT_EQ(a.details["read"]["invoke"], h.ops[b.invoke].index);
    EXPECT_EQ(a.details["lower"], b.lower);
    EXPECT_EQ(a.details["upper"], b.upper);
    EXPECT_THAT(a.witness, ::testing::IsSupersetOf({h.ops[b.invoke].index, h.ops[b.done].index}));
  }
}

TEST(CounterRandom, AgreesWithBruteForceBounds) {
  std::size_t flagged = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    std::mt19937_64 rng(seed * 17);
    History h = simulate_counter(rng, 2 + static_cast<int>(seed % 5), 30, seed % 2 == 1);
    for (Op& op : h.ops) {
      if (op.f == "read" && op.type == OpType::kOk && rng() % 4 == 0) {
        op.value = op.value.get<std::int64_t>() + static_cast<std::int64_t>(rng() % 21) - 10;
      }
    }
    std::set<std::int64_t> want;
    for (const Bounds& b : brute_bounds(h)) {
      const std::int64_t v = h.ops[b.done].value.get<std::int64_t>();
      if (v < b.lower || v > b.upper) want.insert(h.ops[b.invoke].index);
    }
    std::set<std::int64_t> got;
    for (const auto& a : check_counter(h, CounterOptions{.max_reported = 100000}).anomalies) {
      got.insert(a.details["read"]["invoke"].get<std::int64_t>());
    }
    ASSERT_EQ(got, want) << "seed " << seed;
    flagged += want.size();
  }
  EXPECT_GT(flagged, 500u);
}

}  // namespace
}  // namespace faultline::check
