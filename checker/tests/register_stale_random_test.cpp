// Register stale-read checker on randomized histories: a simulated
// linearizable register (no anomaly allowed), injected stale reads (found,
// naming the write they missed), agreement with a brute-force transcription
// of the definition on corrupted histories, and with the linearizability
// checker on histories whose values repeat.
#include "register_stale.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "linearizability/linearizability.h"
#include "lin_brute_force.h"
#include "scripted_history.h"
#include "simulated_history.h"

namespace faultline::check {
namespace {

using faultline::testing::Json;
using history::History;
using history::Op;
using history::OpType;

std::size_t count(const Result& r, const char* name) { return r.details.at(name).get<std::size_t>(); }
// A linearizable register: every operation takes effect at one instant
// inside its window (events on even times, effects on odd ones); info
// writes may land any time later, or never; a cas succeeds iff the register
// holds `from` at its instant, and fails otherwise. A `deletes` share of
// writes write null (a delete).
// `repeats`: the share of writes that write a value written before on the
// key (values are unique otherwise).
History simulate_register(std::mt19937_64& rng, int processes, int ops_per_process, int keys, double deletes = 0,
                          double repeats = 0) {
  struct Effect {
    std::int64_t time;
    std::size_t completion;  // event to fill in; SIZE_MAX when none
    std::string key;
    int kind;  // 0 write, 1 read, 2 cas
    Json a, b;
  };
  testing::SimEvents sim;
  std::vector<Effect> effects;
  std::int64_t next_value = 1, next_process = processes;
  std::map<std::string, std::vector<std::int64_t>> written;
  std::uniform_real_distribution<double> u(0, 1);
  // Keys only when there are several (one key: the unkeyed form).
  auto push = [&](std::int64_t time, std::int64_t process, OpType type, const std::string& f, const std::string& key,
                  Json v) {
    return sim.push(time, process, type, f, std::move(v), keys > 1 ? std::optional<std::string>(key) : std::nullopt);
  };
  for (int p = 0; p < processes; ++p) {
    std::int64_t process = p, t = 2 * static_cast<std::int64_t>(rng() % 5);
    for (int n = 0; n < ops_per_process; ++n) {
      const std::string key = "k" + std::to_string(rng() % static_cast<unsigned>(keys));
      const std::int64_t begin = t, end = t + 2 * (1 + static_cast<std::int64_t>(rng() % 10));
      const std::int64_t effect = begin + 1 + 2 * static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>((end - begin) / 2));
      const double kind = u(rng), roll = u(rng);
      if (kind < 0.4) {
        push(begin, process, OpType::kInvoke, "read", key, nullptr);
        if (roll < 0.1) {
          push(end, process, OpType::kFail, "read", key, nullptr);
        } else {
          effects.push_back(Effect{effect, push(end, process, OpType::kOk, "read", key, nullptr), key, 1, nullptr, nullptr});
        }
      } else if (kind < 0.8) {
        const bool del = deletes > 0 && u(rng) < deletes;
        const auto& before = written[key];
        const bool repeat = !del && !before.empty() && repeats > 0 && u(rng) < repeats;
        const Json v = del ? Json() : repeat ? Json(before[rng() % before.size()]) : Json(next_value++);
        if (!del) written[key].push_back(v.get<std::int64_t>());
        push(begin, process, OpType::kInvoke, "write", key, v);
        if (roll < 0.08) {
          push(end, process, OpType::kFail, "write", key, v);
        } else if (roll < 0.16) {
          if (u(rng) < 0.5) push(end, process, OpType::kInfo, "write", key, nullptr);
          if (u(rng) < 0.6) effects.push_back(Effect{begin + 1 + 2 * static_cast<std::int64_t>(rng() % 30), SIZE_MAX, key, 0, v, nullptr});
          process = next_process++;
        } else {
          push(end, process, OpType::kOk, "write", key, v);
          effects.push_back(Effect{effect, SIZE_MAX, key, 0, v, nullptr});
        }
      } else {
        const auto& seen = written[key];
        const Json from = seen.empty() || (deletes > 0 && u(rng) < 0.2) ? Json(nullptr) : Json(seen[rng() % seen.size()]);
        const bool del = deletes > 0 && u(rng) < deletes;
        const Json to = del ? Json() : Json(next_value++);
        if (!del) written[key].push_back(to.get<std::int64_t>());
        push(begin, process, OpType::kInvoke, "cas", key, Json::array({from, to}));
        if (roll < 0.08) {
          push(end, process, OpType::kInfo, "cas", key, nullptr);
          if (u(rng) < 0.6) effects.push_back(Effect{begin + 1 + 2 * static_cast<std::int64_t>(rng() % 30), SIZE_MAX, key, 2, from, to});
          process = next_process++;
        } else {
          effects.push_back(Effect{effect, push(end, process, OpType::kOk, "cas", key, nullptr), key, 2, from, to});
        }
      }
      t = end + 2 * static_cast<std::int64_t>(rng() % 3);
    }
  }
  std::sort(effects.begin(), effects.end(), [](const Effect& a, const Effect& b) { return a.time < b.time; });
  std::map<std::string, Json> state;
  for (const Effect& e : effects) {
    Json& reg = state[e.key];
    if (e.kind == 0) {
      reg = e.a;
    } else if (e.kind == 1) {
      sim.at(e.completion).value = reg;
    } else if (reg == e.a) {
      reg = e.b;
    } else if (e.completion != SIZE_MAX) {
      // The comparison failed and nothing was written: recorded as the
      // observation ({"ok": false}) or as a fail (which says nothing).
      if (rng() % 2 == 0) {
        sim.at(e.completion).value = Json{{"ok", false}};
      } else {
        sim.at(e.completion).type = OpType::kFail;
      }
    }
  }
  return std::move(sim).history();
}

using testing::Pair;
using testing::pairs_of;

// The definition in register_stale.h, by brute force. Returns read invoke
// index -> missed write invoke index (stale), and impossible read indices.
struct Verdicts {
  std::map<std::int64_t, std::int64_t> stale;
  std::set<std::int64_t> impossible;
};

Verdicts brute_force(const History& h) {
  const auto pairs = pairs_of(h);
  auto type = [&](const Pair& p) { return p.done ? h.ops[*p.done].type : OpType::kInfo; };
  auto key = [&](const Pair& p) { return h.ops[p.invoke].key; };
  auto written = [&](const Pair& p) -> std::optional<Json> {
    const Op& inv = h.ops[p.invoke];
    if (inv.f == "write") return inv.value;
    if (inv.f == "cas") return inv.value[1];
    return std::nullopt;
  };
  auto compare_failed = [&](const Pair& p) { return p.done && history::is_compare_failed(h.ops[*p.done]); };
  Verdicts out;
  for (const Pair& r : pairs) {
    const Op& inv = h.ops[r.invoke];
    if (type(r) != OpType::kOk || (inv.f != "read" && inv.f != "cas") || compare_failed(r)) continue;
    const Json v = inv.f == "read" ? h.ops[*r.done].value : inv.value[0];
    // Writes that may have left v: not failed, begun before the read ended,
    // not the read itself (a cas [v v] reads before it writes).
    std::vector<const Pair*> sources;
    for (const Pair& w : pairs) {
      if (&w == &r || key(w) != key(r) || compare_failed(w) || written(w) != v) continue;
      if (type(w) != OpType::kFail && w.invoke < *r.done) sources.push_back(&w);
    }
    // Earliest-ending ok write of this key that began after `after`.
    auto missed = [&](std::size_t after) -> const Pair* {
      const Pair* best = nullptr;
      for (const Pair& w : pairs) {
        if (key(w) != key(r) || !written(w) || type(w) != OpType::kOk || compare_failed(w)) continue;
        if (w.invoke > after && *w.done < r.invoke && (!best || *w.done < *best->done)) best = &w;
      }
      return best;
    };
    if (!v.is_null() && sources.empty()) {
      out.impossible.insert(h.ops[r.invoke].index);
      continue;
    }
    // Every source must have been overwritten (null: the initial value too,
    // which any ok write overwrote); the report names what the latest-ending
    // source missed.
    const Pair* m = nullptr;
    if (v.is_null()) {
      for (const Pair& w : pairs) {
        if (key(w) == key(r) && written(w) && type(w) == OpType::kOk && !compare_failed(w) && *w.done < r.invoke &&
            (!m || *w.done < *m->done))
          m = &w;
      }
      if (!m) continue;
    }
    const Pair* latest = nullptr;
    for (const Pair* src : sources) {
      const Pair* over = type(*src) == OpType::kOk ? missed(*src->done) : nullptr;
      if (!over) {
        m = nullptr;
        break;
      }
      if (!latest || *src->done > *latest->done) {
        latest = src;
        m = over;
      }
    }
    if (m) out.stale[h.ops[r.invoke].index] = h.ops[m->invoke].index;
  }
  return out;
}

Verdicts verdicts_of(const Result& res) {
  Verdicts out;
  for (const auto& a : res.anomalies) {
    const std::int64_t read = a.details["read"]["invoke"].get<std::int64_t>();
    if (a.kind == "stale-read") out.stale[read] = a.details["missed_write"]["invoke"].get<std::int64_t>();
    if (a.kind == "impossible-read") out.impossible.insert(read);
  }
  return out;
}

TEST(RegisterStaleRandom, LinearizableHistoriesShowNoStaleRead) {
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    std::mt19937_64 rng(seed);
    const double deletes = seed % 2 == 0 ? 0.3 : 0;  // half the corpus deletes too
    const double repeats = seed % 3 == 0 ? 0.4 : 0;  // a third repeats values
    const History h =
        simulate_register(rng, 2 + static_cast<int>(seed % 6), 40, 1 + static_cast<int>(seed % 3), deletes, repeats);
    const Result res = check_register_stale(h);
    ASSERT_EQ(res.valid, Validity::kValid) << "seed " << seed << ": " << to_json(res).dump();
    EXPECT_GT(count(res, "read_count"), 0u);
  }
}

TEST(RegisterStaleRandom, InjectedStaleReadIsFoundWithTheWriteItMissed) {
  int injected = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    std::mt19937_64 rng(seed);
    History h = simulate_register(rng, 4, 40, 1);
    const auto pairs = pairs_of(h);
    auto ok_write = [&](const Pair& p) {
      return h.ops[p.invoke].f == "write" && p.done && h.ops[*p.done].type == OpType::kOk;
    };
    // A read r and an ok write w0 such that some ok write began after w0
    // ended and ended before r began: make r return w0's value.
    struct Choice {
      const Pair* read;
      const Pair* w0;
      std::size_t missed;  // invoke position of the expected missed write
    };
    std::vector<Choice> choices;
    for (const Pair& r : pairs) {
      if (h.ops[r.invoke].f != "read" || !r.done || h.ops[*r.done].type != OpType::kOk) continue;
      for (const Pair& w0 : pairs) {
        if (!ok_write(w0)) continue;
        const Pair* best = nullptr;
        for (const Pair& w : pairs) {
          if ((ok_write(w) || (h.ops[w.invoke].f == "cas" && w.done && h.ops[*w.done].type == OpType::kOk &&
                               !history::is_compare_failed(h.ops[*w.done]))) &&
              w.invoke > *w0.done && *w.done < r.invoke && (!best || *w.done < *best->done)) {
            best = &w;
          }
        }
        if (best) choices.push_back(Choice{&r, &w0, best->invoke});
      }
    }
    if (choices.empty()) continue;
    const Choice c = choices[rng() % choices.size()];
    h.ops[*c.read->done].value = h.ops[c.w0->invoke].value;
    const Result res = check_register_stale(h);
    ASSERT_EQ(res.valid, Validity::kInvalid) << "seed " << seed;
    ASSERT_EQ(res.anomalies.size(), 1u) << to_json(res).dump();
    const Anomaly& a = res.anomalies[0];
    EXPECT_EQ(a.kind, "stale-read");
    EXPECT_EQ(a.details["read"]["invoke"], h.ops[c.read->invoke].index);
    EXPECT_EQ(a.details["write"]["invoke"], h.ops[c.w0->invoke].index);
    EXPECT_EQ(a.details["missed_write"]["invoke"], h.ops[c.missed].index);
    EXPECT_THAT(a.witness, ::testing::IsSupersetOf({h.ops[c.read->invoke].index, h.ops[c.w0->invoke].index,
                                                    h.ops[c.missed].index}));
    ++injected;
  }
  EXPECT_GT(injected, 250);
}

TEST(RegisterStaleRandom, AgreesWithBruteForceOnCorruptedHistories) {
  std::size_t stale = 0, impossible = 0;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    std::mt19937_64 rng(seed * 31);
    const double deletes = seed % 3 == 0 ? 0.3 : 0;
    const double repeats = seed % 2 == 0 ? 0.4 : 0;  // half the corpus writes values more than once
    History h = simulate_register(rng, 2 + static_cast<int>(seed % 5), 10 + static_cast<int>(seed % 30),
                                  1 + static_cast<int>(seed % 2), deletes, repeats);
    std::uniform_real_distribution<double> u(0, 1);
    for (Op& op : h.ops) {
      if (op.f != "read" || op.type != OpType::kOk) continue;
      const double roll = u(rng);
      if (roll < 0.15) op.value = static_cast<std::int64_t>(1 + rng() % 60);  // any value, maybe stale or future
      else if (roll < 0.18) op.value = nullptr;
      else if (roll < 0.20) op.value = 100000;
    }
    const Verdicts want = brute_force(h);
    const Verdicts got = verdicts_of(check_register_stale(h, RegisterStaleOptions{.max_reported = 100000}));
    ASSERT_EQ(got.stale, want.stale) << "seed " << seed;
    ASSERT_EQ(got.impossible, want.impossible) << "seed " << seed;
    stale += want.stale.size();
    impossible += want.impossible.size();
  }
  // The corpus exercises both kinds of anomaly.
  EXPECT_GT(stale, 200u);
  EXPECT_GT(impossible, 200u);
}

// Repeated values against the linearizability checker and an independent
// brute-force linearizability search: a read the stale-read checker calls
// stale is never linearizable (the two checkers agree), and on small
// corrupted histories with values written several times the stale-read
// checker leaves nothing undecided that it could decide ("ambiguous").
TEST(RegisterStaleRandom, RepeatedValueHistoriesAgreeWithLinearizability) {
  std::size_t stale_histories = 0, checked = 0;
  for (std::uint64_t seed = 1; seed <= 600; ++seed) {
    std::mt19937_64 rng(seed * 7919);
    History h = simulate_register(rng, 2 + static_cast<int>(seed % 3), 3 + static_cast<int>(seed % 3), 1,
                                  seed % 2 == 0 ? 0.3 : 0, 0.5);
    std::uniform_real_distribution<double> u(0, 1);
    for (Op& op : h.ops) {
      if (op.f == "read" && op.type == OpType::kOk && u(rng) < 0.3) op.value = static_cast<std::int64_t>(1 + rng() % 6);
    }
    const Result stale = check_register_stale(h, RegisterStaleOptions{.max_reported = 1000});
    if (stale.valid == Validity::kUnknown) continue;
    LinearizabilityOptions lo;
    lo.model = LinModel::kCasRegister;
    lo.time_budget_seconds = 30;
    const Result lin = check_linearizability(h, lo);
    const bool linearizable = testing::BruteForce(h, false).linearizable();
    ASSERT_EQ(lin.valid, linearizable ? Validity::kValid : Validity::kInvalid) << "seed " << seed;
    if (stale.valid == Validity::kInvalid) {
      ASSERT_FALSE(linearizable) << "seed " << seed << ": stale-read says " << to_json(stale).dump();
      ++stale_histories;
    }
    ASSERT_EQ(verdicts_of(stale).stale, brute_force(h).stale) << "seed " << seed;
    ++checked;
  }
  EXPECT_GT(checked, 500u);
  EXPECT_GT(stale_histories, 50u);
}

}  // namespace
}  // namespace faultline::check
