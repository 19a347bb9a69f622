// Randomized set-full tests: histories from a simulated linearizable set must
// show no anomaly; injected anomalies must be found with the right witness;
// and on noisy histories the fast checker must agree, element by element,
// with a direct transcription of the definitions (quadratic, small inputs).
#include "set_full.h"
#include "simulated_history.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace faultline::check {
namespace {

using history::History;
using history::Json;
using history::Op;
using history::OpType;
using ::testing::Contains;

// ---------------------------------------------------------------- simulation

struct SimConfig {
  int processes = 4;
  int ops_per_process = 30;
  double read_share = 0.3;
  double info_share = 0.08;
  double fail_share = 0.05;
  int keys = 1;
  bool final_reads = true;  // without them, late adds have no read after them
};

// Each operation takes effect at one instant strictly inside its window
// (events on even times, effects on odd ones, so there are no ties); info
// adds may land any time after their invocation, or never. Reads return the
// state at their instant, so the history is linearizable by construction.
History simulate_set(std::mt19937_64& rng, const SimConfig& cfg) {
  struct Effect {
    std::int64_t time;
    std::size_t event;  // the read completion to fill in, or npos for an add
    std::string key;
    std::int64_t element;
  };
  testing::SimEvents sim;
  std::vector<Effect> effects;
  std::int64_t next_element = 0;
  std::int64_t next_process = cfg.processes;
  std::uniform_real_distribution<double> u(0, 1);
  // Keys only when there are several (one key: the unkeyed form).
  auto push = [&](std::int64_t time, std::int64_t process, OpType type, const std::string& f, const std::string& key,
                  Json value) {
    return sim.push(time, process, type, f, std::move(value), cfg.keys > 1 ? std::optional<std::string>(key) : std::nullopt);
  };
  std::int64_t horizon = 0;
  for (int p = 0; p < cfg.processes; ++p) {
    std::int64_t process = p;
    std::int64_t t = 2 * static_cast<std::int64_t>(rng() % 5);
    for (int n = 0; n < cfg.ops_per_process; ++n) {
      const std::string key = "k" + std::to_string(rng() % static_cast<unsigned>(cfg.keys));
      const std::int64_t begin = t;
      const std::int64_t end = begin + 2 * (1 + static_cast<std::int64_t>(rng() % 12));
      const std::int64_t effect = begin + 1 + 2 * static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>((end - begin) / 2));
      const double roll = u(rng);
      if (u(rng) < cfg.read_share) {
        push(begin, process, OpType::kInvoke, "read", key, nullptr);
        if (roll < cfg.fail_share) {
          push(end, process, OpType::kFail, "read", key, nullptr);
        } else if (roll < cfg.fail_share + cfg.info_share) {
          push(end, process, OpType::kInfo, "read", key, nullptr);
          process = next_process++;
        } else {
          const std::size_t done = push(end, process, OpType::kOk, "read", key, nullptr);
          effects.push_back(Effect{effect, done, key, 0});
        }
      } else {
        const std::int64_t element = next_element++;
        push(begin, process, OpType::kInvoke, "add", key, element);
        if (roll < cfg.fail_share) {
          push(end, process, OpType::kFail, "add", key, element);
        } else if (roll < cfg.fail_share + cfg.info_share) {
          if (u(rng) < 0.5) push(end, process, OpType::kInfo, "add", key, nullptr);  // else: never completes
          // May land much later than its completion, or never.
          if (u(rng) < 0.6) effects.push_back(Effect{begin + 1 + 2 * static_cast<std::int64_t>(rng() % 40), SIZE_MAX, key, element});
          process = next_process++;
        } else {
          push(end, process, OpType::kOk, "add", key, element);
          effects.push_back(Effect{effect, SIZE_MAX, key, element});
        }
      }
      t = end + 2 * static_cast<std::int64_t>(rng() % 3);
    }
    horizon = std::max(horizon, t);
  }
  // Final reads of every key, after everything (even late info adds) landed.
  horizon = std::max(horizon, std::int64_t{200}) + 100;
  for (int k = 0; k < (cfg.final_reads ? cfg.keys : 0); ++k) {
    const std::string key = "k" + std::to_string(k);
    for (int r = 0; r < 2; ++r) {
      const std::int64_t begin = horizon + 2 * r, end = begin + 10;
      const std::int64_t process = next_process++;
      push(begin, process, OpType::kInvoke, "read", key, nullptr);
      const std::size_t done = push(end, process, OpType::kOk, "read", key, nullptr);
      effects.push_back(Effect{begin + 1 + 2 * r, done, key, 0});
    }
  }
  std::sort(effects.begin(), effects.end(), [](const Effect& a, const Effect& b) { return a.time < b.time; });
  std::map<std::string, std::vector<std::int64_t>> state;
  for (const Effect& e : effects) {
    auto& set = state[e.key];
    if (e.event == SIZE_MAX) {
      set.push_back(e.element);
    } else {
      std::vector<std::int64_t> shown = set;
      std::shuffle(shown.begin(), shown.end(), rng);  // reads need not be sorted
      sim.at(e.event).value = shown;
    }
  }
  return std::move(sim).history();
}

// ------------------------------------------------------- reference checker

using testing::Pair;
using testing::pairs_of;

std::string ranges(std::vector<std::int64_t> v) {
  std::sort(v.begin(), v.end());
  std::string out;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (!out.empty()) out += ' ';
    out += std::to_string(v[i]) + (j > i ? ".." + std::to_string(v[j]) : "");
    i = j + 1;
  }
  return out;
}

struct Expected {
  std::vector<std::int64_t> stable, lost, stale, never_read, duplicated, unexpected;
  double max_stale_ms = 0, max_lost_ms = 0;
};

// The definitions in set_full.h, transcribed with no cleverness. Histories
// here are unkeyed and in time order, so event positions order events.
Expected reference(const History& h) {
  const auto pairs = pairs_of(h);
  constexpr std::size_t kNone = SIZE_MAX;
  struct Elem {
    std::size_t add_begin = kNone, ack = kNone;
    bool maybe = false;
  };
  std::map<std::int64_t, Elem> elems;
  std::vector<const Pair*> reads;
  for (const Pair& p : pairs) {
    const Op& inv = h.ops[p.invoke];
    if (inv.f == "add") {
      Elem& e = elems[inv.value.get<std::int64_t>()];
      e.add_begin = std::min(e.add_begin, p.invoke);
      const OpType t = p.done ? h.ops[*p.done].type : OpType::kInfo;
      if (t != OpType::kFail) e.maybe = true;
      if (t == OpType::kOk) e.ack = std::min(e.ack, *p.done);
    } else if (inv.f == "read" && p.done && h.ops[*p.done].type == OpType::kOk) {
      reads.push_back(&p);
    }
  }
  Expected out;
  std::set<std::int64_t> unexpected;
  for (const Pair* r : reads) {
    std::map<std::int64_t, int> seen;
    for (const Json& x : h.ops[*r->done].value) ++seen[x.get<std::int64_t>()];
    for (auto [v, n] : seen) {
      if (!elems.count(v)) {
        unexpected.insert(v);
      } else if (n > 1 && std::find(out.duplicated.begin(), out.duplicated.end(), v) == out.duplicated.end()) {
        out.duplicated.push_back(v);
      }
    }
  }
  auto t = [&](std::size_t event) { return h.ops[event].time; };
  for (const auto& [v, e] : elems) {
    std::size_t lp = kNone, la = kNone, first_seen = kNone;
    bool premature = false;
    for (const Pair* r : reads) {
      const auto& value = h.ops[*r->done].value;
      const bool has = std::any_of(value.begin(), value.end(), [&](const Json& x) { return x.get<std::int64_t>() == v; });
      if (*r->done < e.add_begin) {
        premature |= has;
        continue;
      }
      std::size_t& last = has ? lp : la;
      if (last == kNone || r->invoke > last) last = r->invoke;
      if (has) first_seen = std::min(first_seen, *r->done);
    }
    const std::size_t known = std::min(e.ack, first_seen);
    const bool stable = lp != kNone && (la == kNone || la < lp);
    const bool lost = !stable && known != kNone && la != kNone && la > known;
    const bool stale = stable && la != kNone && la > known;
    if (stable) out.stable.push_back(v);
    if (lost) {
      out.lost.push_back(v);
      const std::int64_t until = lp == kNone ? 0 : t(lp);
      out.max_lost_ms = std::max(out.max_lost_ms, std::max<std::int64_t>(0, until - t(known)) / 1e6);
    }
    if (stale) {
      out.stale.push_back(v);
      out.max_stale_ms = std::max(out.max_stale_ms, std::max<std::int64_t>(0, t(la) - t(known)) / 1e6);
    }
    if (!stable && !lost) out.never_read.push_back(v);
    if ((lp != kNone && !e.maybe) || premature) unexpected.insert(v);
  }
  out.unexpected.assign(unexpected.begin(), unexpected.end());
  return out;
}

void expect_agrees(const History& h, const std::string& where) {
  SCOPED_TRACE(where);
  const Expected want = reference(h);
  const Result got = check_set_full(h, SetFullOptions{.max_reported = 1000});
  ASSERT_FALSE(got.details.contains("error")) << got.details["error"];
  EXPECT_EQ(got.details["stable_count"], want.stable.size());
  EXPECT_EQ(got.details["lost"], ranges(want.lost));
  EXPECT_EQ(got.details["stale"], ranges(want.stale));
  EXPECT_EQ(got.details["never_read"], ranges(want.never_read));
  EXPECT_EQ(got.details["unexpected"], ranges(want.unexpected));
  EXPECT_EQ(got.details["duplicated_count"], want.duplicated.size());
  if (!want.stale.empty()) {
    EXPECT_DOUBLE_EQ(got.details["stale_latencies_ms"]["1"].get<double>(), want.max_stale_ms);
  }
  if (!want.lost.empty()) {
    EXPECT_DOUBLE_EQ(got.details["lost_latencies_ms"]["1"].get<double>(), want.max_lost_ms);
  }
  const bool invalid = !want.lost.empty() || !want.duplicated.empty() || !want.unexpected.empty();
  EXPECT_EQ(got.valid == Validity::kInvalid, invalid);
}

// ------------------------------------------------------------------- tests

TEST(SetFullRandom, LinearizableHistoriesShowNoAnomaly) {
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    std::mt19937_64 rng(seed);
    SimConfig cfg;
    cfg.processes = 2 + static_cast<int>(seed % 6);
    cfg.keys = seed % 4 == 0 ? 3 : 1;
    const History h = simulate_set(rng, cfg);
    const Result r = check_set_full(h, SetFullOptions{.strict = true});
    ASSERT_EQ(r.valid, Validity::kValid) << "seed " << seed << ": " << to_json(r).dump();
    EXPECT_EQ(r.details["lost_count"], 0);
    EXPECT_EQ(r.details["stale_count"], 0);
    EXPECT_GT(r.details["stable_count"].get<int>(), 0);
    EXPECT_TRUE(r.anomalies.empty());
  }
}

// Indices (into h.ops) of ok read completions, by invocation order.
std::vector<std::pair<std::size_t, std::size_t>> ok_reads(const History& h) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (const Pair& p : pairs_of(h)) {
    if (h.ops[p.invoke].f == "read" && p.done && h.ops[*p.done].type == OpType::kOk) out.emplace_back(p.invoke, *p.done);
  }
  return out;
}

void erase_element(Json& read, std::int64_t element) {
  Json kept = Json::array();
  for (const Json& x : read) {
    if (x.get<std::int64_t>() != element) kept.push_back(x);
  }
  read = std::move(kept);
}

TEST(SetFullRandom, InjectedLossIsFoundWithItsAddAndTheFinalRead) {
  int injected = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    std::mt19937_64 rng(seed);
    History h = simulate_set(rng, SimConfig{});
    // An acknowledged element; from its ack on, every read forgets it.
    std::vector<Pair> acked;
    for (const Pair& p : pairs_of(h)) {
      if (h.ops[p.invoke].f == "add" && p.done && h.ops[*p.done].type == OpType::kOk) acked.push_back(p);
    }
    const Pair victim = acked[rng() % acked.size()];
    const std::int64_t element = h.ops[victim.invoke].value.get<std::int64_t>();
    const auto reads = ok_reads(h);
    for (auto [inv, done] : reads) {
      if (inv > *victim.done) erase_element(h.ops[done].value, element);
    }
    const Result r = check_set_full(h);
    ASSERT_EQ(r.valid, Validity::kInvalid) << "seed " << seed;
    EXPECT_EQ(r.details["lost_count"], 1);
    EXPECT_EQ(r.details["lost"], std::to_string(element));
    ASSERT_EQ(r.anomalies.size(), 1u);
    const Anomaly& a = r.anomalies[0];
    EXPECT_EQ(a.kind, "lost");
    EXPECT_EQ(a.details["element"], element);
    EXPECT_EQ(a.witness[0], h.ops[victim.invoke].index);
    EXPECT_EQ(a.witness[1], h.ops[*victim.done].index);
    const auto last_read = std::max_element(reads.begin(), reads.end());
    EXPECT_THAT(a.witness, Contains(h.ops[last_read->first].index));
    ++injected;
    expect_agrees(h, "seed " + std::to_string(seed));
  }
  EXPECT_EQ(injected, 200);
}

TEST(SetFullRandom, InjectedStaleReadIsFoundWithTheReadThatMissedIt) {
  int injected = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    std::mt19937_64 rng(seed);
    History h = simulate_set(rng, SimConfig{});
    const auto reads = ok_reads(h);
    const std::size_t last_begin = std::max_element(reads.begin(), reads.end())->first;
    // An acknowledged element and a read that began after its ack but is
    // not the last read: dropping it there makes it stale, not lost.
    std::vector<std::pair<Pair, std::pair<std::size_t, std::size_t>>> choices;
    for (const Pair& p : pairs_of(h)) {
      if (h.ops[p.invoke].f != "add" || !p.done || h.ops[*p.done].type != OpType::kOk) continue;
      for (auto read : reads) {
        if (read.first > *p.done && read.first != last_begin) choices.emplace_back(p, read);
      }
    }
    if (choices.empty()) continue;
    const auto [victim, read] = choices[rng() % choices.size()];
    const std::int64_t element = h.ops[victim.invoke].value.get<std::int64_t>();
    erase_element(h.ops[read.second].value, element);

    const Result lax = check_set_full(h);
    ASSERT_EQ(lax.valid, Validity::kValid) << "seed " << seed;
    EXPECT_EQ(lax.details["stale"], std::to_string(element));
    const Result strict = check_set_full(h, SetFullOptions{.strict = true});
    ASSERT_EQ(strict.valid, Validity::kInvalid);
    ASSERT_EQ(strict.anomalies.size(), 1u);
    const Anomaly& a = strict.anomalies[0];
    EXPECT_EQ(a.kind, "stale");
    EXPECT_EQ(a.details["element"], element);
    EXPECT_EQ(a.details["stale_read"]["invoke"], h.ops[read.first].index);
    EXPECT_THAT(a.witness, Contains(h.ops[read.first].index));
    EXPECT_EQ(a.witness[0], h.ops[victim.invoke].index);
    ++injected;
    expect_agrees(h, "seed " + std::to_string(seed));
  }
  EXPECT_GT(injected, 150);
}

TEST(SetFullRandom, InjectedDuplicateIsFoundInItsRead) {
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    std::mt19937_64 rng(seed);
    History h = simulate_set(rng, SimConfig{});
    std::vector<std::pair<std::size_t, std::size_t>> nonempty;
    for (auto read : ok_reads(h)) {
      if (!h.ops[read.second].value.empty()) nonempty.push_back(read);
    }
    const auto read = nonempty[rng() % nonempty.size()];
    Json& v = h.ops[read.second].value;
    const Json copy = v[rng() % v.size()];
    v.push_back(copy);
    const Result r = check_set_full(h);
    ASSERT_EQ(r.valid, Validity::kInvalid);
    ASSERT_EQ(r.anomalies.size(), 1u);
    EXPECT_EQ(r.anomalies[0].kind, "duplicated");
    EXPECT_EQ(r.anomalies[0].details["element"], copy);
    EXPECT_THAT(r.anomalies[0].witness, ::testing::ElementsAre(h.ops[read.first].index, h.ops[read.second].index));
  }
}

TEST(SetFullRandom, AgreesWithTheDefinitionsOnNoisyHistories) {
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    std::mt19937_64 rng(seed * 7919);
    SimConfig cfg;
    cfg.processes = 2 + static_cast<int>(seed % 5);
    cfg.ops_per_process = 10 + static_cast<int>(seed % 30);
    cfg.final_reads = seed % 2 == 0;
    cfg.read_share = seed % 3 == 0 ? 0.6 : 0.3;
    History h = simulate_set(rng, cfg);
    // Noise: drop elements from reads (stale, lost), add copies
    // (duplicated) and strangers (unexpected), and shuffle a few times so
    // reads can complete before adds begin.
    std::uniform_real_distribution<double> u(0, 1);
    const double drop = u(rng) * 0.3;
    for (auto [inv, done] : ok_reads(h)) {
      Json& v = h.ops[done].value;
      Json kept = Json::array();
      for (const Json& x : v) {
        if (u(rng) >= drop) kept.push_back(x);
        if (u(rng) < 0.01) kept.push_back(x);
      }
      if (u(rng) < 0.05) kept.push_back(100000 + static_cast<std::int64_t>(rng() % 5));
      if (u(rng) < 0.05) kept.push_back(static_cast<std::int64_t>(rng() % 400));  // maybe a future element
      v = std::move(kept);
    }
    expect_agrees(h, "seed " + std::to_string(seed));
    if (::testing::Test::HasFailure()) break;
  }
}

}  // namespace
}  // namespace faultline::check
