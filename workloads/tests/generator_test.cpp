// The generators: same seed, same per-worker sequence; keys rotate within
// their bound; values and elements are unique.
#include "generator.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

namespace faultline::workloads {
namespace {

WorkloadOptions three_nodes(std::uint64_t seed) {
  WorkloadOptions o;
  o.nodes = {{"n1", "127.0.0.1:1"}, {"n2", "127.0.0.1:2"}, {"n3", "127.0.0.1:3"}};
  o.seed = seed;
  return o;
}

std::vector<PlannedOp> take(const std::string& workload, const WorkloadOptions& o, int worker, int n) {
  auto g = make_generator(workload, o, worker);
  std::vector<PlannedOp> out;
  for (int i = 0; i < n; ++i) out.push_back(g->next());
  return out;
}

TEST(Generator, DefaultsToTwoWorkersPerNode) {
  EXPECT_EQ(worker_count(three_nodes(1)), 6);
  auto o = three_nodes(1);
  o.concurrency = 4;
  EXPECT_EQ(worker_count(o), 4);
}

TEST(Generator, SameSeedGivesTheSameSequencePerWorker) {
  for (const std::string w : {"register", "set"}) {
    const auto o = three_nodes(42);
    for (int worker = 0; worker < worker_count(o); ++worker) {
      EXPECT_EQ(take(w, o, worker, 3000), take(w, o, worker, 3000)) << w << " worker " << worker;
    }
  }
}

TEST(Generator, OtherSeedsAndOtherWorkersGiveOtherSequences) {
  for (const std::string w : {"register", "set"}) {
    EXPECT_NE(take(w, three_nodes(1), 0, 200), take(w, three_nodes(2), 0, 200)) << w;
    EXPECT_NE(take(w, three_nodes(1), 0, 200), take(w, three_nodes(1), 1, 200)) << w;
  }
}

TEST(Generator, RegisterRetiresKeysWithinOpsPerKey) {
  for (int ops_per_key : {200, 60, 7, 3}) {
    auto o = three_nodes(9);
    o.ops_per_key = ops_per_key;
    const int workers = worker_count(o);
    std::map<std::string, int> per_key;
    // Any interleaving of the workers gives the same per-key counts, so
    // taking each worker's ops in turn covers every run.
    for (int w = 0; w < workers; ++w)
      for (const auto& op : take("register", o, w, 2000)) ++per_key[*op.key];
    int most = 0;
    for (const auto& [key, n] : per_key) most = std::max(most, n);
    EXPECT_LE(most, std::max(ops_per_key, workers)) << "ops_per_key " << ops_per_key;
    // 2000 ops per worker in generations of ops_per_key/workers: many keys.
    const int generations = 2000 / register_ops_per_generation(o);
    EXPECT_GE(static_cast<int>(per_key.size()), generations) << "ops_per_key " << ops_per_key;
  }
}

TEST(Generator, RegisterKeysMoveToAFreshGenerationInStep) {
  auto o = three_nodes(3);
  o.live_keys = 2;
  const int per_gen = register_ops_per_generation(o);  // 200 / 6 = 33
  ASSERT_EQ(per_gen, 33);
  const auto ops = take("register", o, 4, 3 * per_gen);
  std::set<std::string> slots_seen;
  for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
    const std::string& key = *ops[static_cast<std::size_t>(i)].key;
    const auto dash = key.find('-');
    EXPECT_EQ(key.substr(dash + 1), std::to_string(i / per_gen)) << key << " at op " << i;
    slots_seen.insert(key.substr(0, dash));
  }
  EXPECT_EQ(slots_seen, (std::set<std::string>{"r0", "r1"}));
}

TEST(Generator, RegisterWritesUniqueValuesAndHonoursTheReadAndDeleteFractions) {
  auto o = three_nodes(5);
  std::set<std::int64_t> values;
  int reads = 0, deletes = 0, total = 0;
  for (int w = 0; w < worker_count(o); ++w) {
    for (const auto& op : take("register", o, w, 2000)) {
      ++total;
      if (op.f == "read") {
        ++reads;
        EXPECT_TRUE(op.value.is_null());
      } else if (op.value.is_null()) {
        ASSERT_EQ(op.f, "write");  // a delete
        ++deletes;
      } else {
        ASSERT_EQ(op.f, "write");
        ASSERT_TRUE(op.value.is_number_integer());
        EXPECT_TRUE(values.insert(op.value.get<std::int64_t>()).second) << "value written twice: " << op.value;
      }
    }
  }
  EXPECT_NEAR(static_cast<double>(reads) / total, 0.5, 0.03);
  EXPECT_NEAR(static_cast<double>(deletes) / (total - reads), 0.1, 0.02);  // the default share of writes
  o.delete_fraction = 0;
  for (const auto& op : take("register", o, 0, 500)) EXPECT_FALSE(op.f == "write" && op.value.is_null());
  o.delete_fraction = 1;
  for (const auto& op : take("register", o, 0, 500)) EXPECT_TRUE(op.value.is_null()) << op.f;
  o.delete_fraction = 0.1;
  o.read_fraction = 0;
  for (const auto& op : take("register", o, 0, 500)) EXPECT_EQ(op.f, "write");
  o.read_fraction = 1;
  for (const auto& op : take("register", o, 0, 500)) EXPECT_EQ(op.f, "read");
}

TEST(Generator, SetAddsUniqueElementsEachUnderItsOwnKey) {
  auto o = three_nodes(11);
  std::set<std::int64_t> added;
  int reads = 0, total = 0;
  for (int w = 0; w < worker_count(o); ++w) {
    std::set<std::string> own_keys;
    for (const auto& op : take("set", o, w, 2000)) {
      ++total;
      ASSERT_TRUE(op.key);
      if (op.f == "add") {
        const auto e = op.value.get<std::int64_t>();
        EXPECT_EQ(*op.key, "e" + std::to_string(e));
        EXPECT_EQ(e % worker_count(o), w);
        EXPECT_TRUE(added.insert(e).second) << "element added twice: " << e;
      } else {
        ASSERT_EQ(op.f, "read");
        EXPECT_TRUE(op.value.is_null());
        ++reads;
      }
    }
  }
  EXPECT_NEAR(static_cast<double>(reads) / total, 0.2, 0.03);
}

TEST(Generator, RejectsAnUnknownWorkloadAndAWorkerOutOfRange) {
  const auto o = three_nodes(1);
  EXPECT_THROW(make_generator("bank", o, 0), std::invalid_argument);
  EXPECT_THROW(make_generator("register", o, 6), std::invalid_argument);
  EXPECT_THROW(make_generator("register", o, -1), std::invalid_argument);
}

}  // namespace
}  // namespace faultline::workloads
