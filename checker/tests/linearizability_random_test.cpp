// Randomized tests of the linearizability checker: histories linearizable
// by construction must check valid; the same with one read changed to a
// value never written must check invalid, with that read in the witness;
// small histories with random results must get brute force's verdict.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>

#include "linearizability/linearizability.h"
#include "lin_brute_force.h"
#include "lin_random_history.h"

namespace faultline::check {
namespace {

using history::Json;
using testing::BruteForce;
using testing::RandomHistory;
using testing::RandomModel;
using testing::RandomParams;

// FAULTLINE_LIN_STRESS=N runs N times as many random histories.
std::uint64_t scale() {
  const char* s = std::getenv("FAULTLINE_LIN_STRESS");
  return s != nullptr && std::atoi(s) > 0 ? static_cast<std::uint64_t>(std::atoi(s)) : 1;
}

LinModel lin_model(RandomModel m, bool whole_map) {
  switch (m) {
    case RandomModel::kRegister: return LinModel::kRegister;
    case RandomModel::kCasRegister: return LinModel::kCasRegister;
    case RandomModel::kKv: return whole_map ? LinModel::kKvMap : LinModel::kKv;
  }
  return LinModel::kCasRegister;
}

Result check(const history::History& h, LinModel model, unsigned threads = 1) {
  LinearizabilityOptions o;
  o.model = model;
  o.threads = threads;
  o.time_budget_seconds = 60;
  return check_linearizability(h, o);
}

RandomParams random_params(RandomHistory& r, int max_ops) {
  RandomParams p;
  p.model = static_cast<RandomModel>(r.uniform(3));
  p.ops = 1 + r.uniform(max_ops);
  p.processes = 1 + r.uniform(8);
  p.keys = 1 + r.uniform(3);
  p.values = 2 + r.uniform(5);
  p.info_rate = r.uniform(4) * 0.05;
  p.fail_rate = r.uniform(3) * 0.03;
  return p;
}

// Positions in h.ops of ok reads/gets.
std::vector<std::size_t> ok_reads(const history::History& h) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < h.ops.size(); ++i) {
    const auto& op = h.ops[i];
    if (op.type == history::OpType::kOk && (op.f == "read" || op.f == "get")) out.push_back(i);
  }
  return out;
}

TEST(LinearizabilityRandom, GeneratedHistoriesAreValid) {
  int checked = 0;
  for (std::uint64_t seed = 0; seed < 3000 * scale(); ++seed) {
    RandomHistory r(seed);
    const RandomParams p = random_params(r, 120);
    const history::History h = r.generate_linearizable(p);
    const Result res = check(h, lin_model(p.model, false), seed % 2 ? 2 : 1);
    ASSERT_EQ(res.valid, Validity::kValid) << "seed " << seed << ": " << to_json(res).dump();
    if (p.model == RandomModel::kKv) {
      ASSERT_EQ(check(h, LinModel::kKvMap).valid, Validity::kValid) << "seed " << seed << " (kv-map)";
    }
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(3000 * scale()));
}

TEST(LinearizabilityRandom, ReadOfNeverWrittenValueIsInvalidAndInTheWitness) {
  int checked = 0;
  for (std::uint64_t seed = 0; seed < 3000 * scale(); ++seed) {
    RandomHistory r(seed + 100000000);
    const RandomParams p = random_params(r, 120);
    history::History h = r.generate_linearizable(p);
    const std::vector<std::size_t> reads = ok_reads(h);
    if (reads.empty()) continue;
    history::Op& read = h.ops[reads[static_cast<std::size_t>(r.uniform(static_cast<int>(reads.size())))]];
    read.value = p.model == RandomModel::kKv ? Json("#never#") : Json(987654321);
    const Result res = check(h, lin_model(p.model, r.chance(0.3)));
    ASSERT_EQ(res.valid, Validity::kInvalid) << "seed " << seed;
    ASSERT_FALSE(res.anomalies.empty());
    // The rest is linearizable, so any witness must keep that read.
    bool found = false;
    for (const Anomaly& a : res.anomalies) {
      const auto& w = a.witness;
      if (std::find(w.begin(), w.end(), read.index) != w.end()) found = true;
    }
    ASSERT_TRUE(found) << "seed " << seed << ": " << to_json(res).dump();
    ++checked;
  }
  EXPECT_GT(checked, static_cast<int>(2500 * scale()));
}

// The history up to event index `cut` (inclusive or not), read with what
// the whole history tells: an op still in flight there that later failed,
// or a read, constrains nothing and goes; other ops in flight may or may not
// have happened (their completion is cut off).
template <class Keep>
history::History prefix(const history::History& h, std::int64_t cut, bool inclusive, Keep keep) {
  auto in = [&](std::int64_t index) { return inclusive ? index <= cut : index < cut; };
  std::map<std::int64_t, std::size_t> open;
  std::vector<std::pair<std::size_t, std::optional<std::size_t>>> ops;
  for (std::size_t i = 0; i < h.ops.size(); ++i) {
    if (h.ops[i].is_invoke()) {
      open[h.ops[i].process] = ops.size();
      ops.emplace_back(i, std::nullopt);
    } else {
      ops[open.at(h.ops[i].process)].second = i;
      open.erase(h.ops[i].process);
    }
  }
  std::vector<std::size_t> events;
  for (const auto& [inv, done] : ops) {
    const history::Op& op = h.ops[inv];
    if (!keep(op) || !in(op.index)) continue;
    if (done && in(h.ops[*done].index)) {
      events.push_back(inv);
      events.push_back(*done);
      continue;
    }
    // Observations in flight at the cut may take effect after it.
    const bool read = op.f == "read" || op.f == "get" || (done && history::is_compare_failed(h.ops[*done]));
    if (read || (done && h.ops[*done].type == history::OpType::kFail)) continue;
    events.push_back(inv);
  }
  std::sort(events.begin(), events.end());
  history::History out;
  for (std::size_t e : events) out.ops.push_back(h.ops[e]);
  return out;
}

TEST(LinearizabilityRandom, AgreesWithBruteForceOnSmallHistories) {
  int valid = 0, invalid = 0;
  for (std::uint64_t seed = 0; seed < 6000 * scale(); ++seed) {
    RandomHistory r(seed + 200000000);
    RandomParams p = random_params(r, 11);
    p.keys = 1 + r.uniform(2);
    p.values = 2 + r.uniform(2);
    history::History h = r.generate_arbitrary(p);
    const bool kv = p.model == RandomModel::kKv;
    // A third of the seeds read a failed cas as an observation (--failed-cas
    // observe): brute force applies that reading itself, the checker gets
    // the history mapped by the importer's rewrite.
    const bool observe = seed % 3 == 0;
    const bool expected = BruteForce(h, kv, observe).linearizable();
    if (observe) history::observe_failed_cas(h);
    const Result res = check(h, lin_model(p.model, false));
    ASSERT_EQ(res.valid, expected ? Validity::kValid : Validity::kInvalid)
        << "seed " << seed << "\n" << to_json(res).dump(1);
    if (kv) {
      ASSERT_EQ(check(h, LinModel::kKvMap).valid, res.valid) << "seed " << seed << " (kv-map)";
    }
    (expected ? valid : invalid)++;
    if (!expected) {
      for (const Anomaly& a : res.anomalies) {
        const Json& d = a.details;
        auto same_key = [&](const history::Op& op) { return !d.contains("key") || op.key == d["key"].get<std::string>(); };
        // The witness ops alone (every other op removed) are not linearizable.
        std::vector<std::int64_t> core;
        for (const Json& op : d["witness_ops"]) {
          core.push_back(op["index"]);
          if (!op["completion_index"].is_null()) core.push_back(op["completion_index"]);
        }
        history::History sub;
        for (const auto& op : h.ops)
          if (std::find(core.begin(), core.end(), op.index) != core.end()) sub.ops.push_back(op);
        ASSERT_FALSE(BruteForce(sub, kv, observe).linearizable()) << "seed " << seed << ": witness " << to_json(res).dump();
        // The prefix before the blocked completion is linearizable, the
        // prefix through it is not: it is the longest linearizable one.
        const std::int64_t cut = d["linearizable_prefix"]["before_index"];
        ASSERT_TRUE(d["linearizable_prefix"]["complete"].get<bool>());
        history::History before = prefix(h, cut, false, same_key), through = prefix(h, cut, true, same_key);
        ASSERT_TRUE(BruteForce(before, kv, observe).linearizable()) << "seed " << seed << ": prefix " << to_json(res).dump();
        ASSERT_FALSE(BruteForce(through, kv, observe).linearizable()) << "seed " << seed << ": prefix " << to_json(res).dump();
      }
    }
  }
  EXPECT_GT(valid, static_cast<int>(1000 * scale()));
  EXPECT_GT(invalid, static_cast<int>(1000 * scale()));
}

TEST(LinearizabilityRandom, GeneratedHistoriesAgreeWithBruteForce) {
  // Linearizable-by-construction histories small enough for brute force,
  // with many info ops: exercises optional operations both ways.
  for (std::uint64_t seed = 0; seed < 1500 * scale(); ++seed) {
    RandomHistory r(seed + 300000000);
    RandomParams p = random_params(r, 16);
    p.info_rate = 0.3;
    history::History h = r.generate_linearizable(p);
    const std::vector<std::size_t> reads = ok_reads(h);
    if (!reads.empty() && r.chance(0.5)) {
      // A plausible but possibly wrong result: some other value in use.
      history::Op& read = h.ops[reads[static_cast<std::size_t>(r.uniform(static_cast<int>(reads.size())))]];
      read.value = p.model == RandomModel::kKv ? Json(r.chance(0.5) ? "" : "v0;") : Json(r.uniform(p.values));
    }
    const bool kv = p.model == RandomModel::kKv;
    const bool expected = BruteForce(h, kv).linearizable();
    ASSERT_EQ(check(h, lin_model(p.model, r.chance(0.5))).valid, expected ? Validity::kValid : Validity::kInvalid)
        << "seed " << seed;
  }
}

}  // namespace
}  // namespace faultline::check
