#include "storage/storage.h"

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "faultline/testing/test_dir.h"

namespace faultline::node {
namespace {

using testing::TestDir;

StorageOptions options(const TestDir& dir, FsyncPolicy fsync = FsyncPolicy::kAlways,
                       Versioning v = Versioning::kLwwHlc) {
  StorageOptions o;
  o.dir = dir.str();
  o.node_id = "n1";
  o.versioning = v;
  o.fsync = fsync;
  o.fsync_period_ms = 10;
  return o;
}

Record lww(const std::string& value, std::int64_t wall, const std::string& node = "n1") {
  Sibling s;
  s.value = value;
  s.stamp = {wall, 0, node};
  return Record{{s}};
}

TEST(Storage, ApplyMergesInsteadOfOverwriting) {
  TestDir dir("storage");
  auto st = Storage::open(options(dir));
  EXPECT_TRUE(st->get("k").empty());
  st->apply_sync("k", lww("new", 20));
  Record m = st->apply_sync("k", lww("old", 10));  // late, older write
  EXPECT_EQ(live_values(m), std::vector<std::string>{"new"});
  EXPECT_EQ(live_values(st->get("k")), std::vector<std::string>{"new"});
}

TEST(Storage, EveryPolicySurvivesReopen) {
  for (auto policy : {FsyncPolicy::kAlways, FsyncPolicy::kPeriodic, FsyncPolicy::kNever}) {
    TestDir dir("storage");
    {
      auto st = Storage::open(options(dir, policy));
      for (int i = 0; i < 50; ++i) st->apply_sync("k" + std::to_string(i), lww("v" + std::to_string(i), 100 + i));
      st->store_hint_sync("n2", "hk", lww("h", 7));
    }
    auto st = Storage::open(options(dir, policy));
    for (int i = 0; i < 50; ++i)
      EXPECT_EQ(live_values(st->get("k" + std::to_string(i))), std::vector<std::string>{"v" + std::to_string(i)});
    EXPECT_EQ(st->stats().hints, 1u);
    EXPECT_EQ(st->max_stamp_wall(), 149);
  }
}

TEST(Storage, ReopenSeedsTheDotCounter) {
  TestDir dir("storage");
  {
    auto st = Storage::open(options(dir, FsyncPolicy::kAlways, Versioning::kVv));
    Sibling s;
    s.value = "x";
    s.dot = {"n1", 4242};
    st->apply_sync("k", Record{{s}});
    Sibling t;
    t.value = "y";
    t.dot = {"n2", 99999};  // another node's dot does not count
    st->apply_sync("k2", Record{{t}});
  }
  auto st = Storage::open(options(dir, FsyncPolicy::kAlways, Versioning::kVv));
  EXPECT_EQ(st->max_own_counter(), 4242u);
}

TEST(Storage, ConcurrentWritesShareCommits) {
  TestDir dir("storage");
  auto st = Storage::open(options(dir));
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) st->apply_sync("t" + std::to_string(t) + "-" + std::to_string(i), lww("v", 1));
    });
  for (auto& th : threads) th.join();
  const auto s = st->stats();
  EXPECT_EQ(s.writes, static_cast<std::uint64_t>(kThreads * kEach));
  // Group commit: with 8 writers waiting on fsync, batches form.
  EXPECT_LT(s.commits, s.writes);
}

TEST(Storage, SameKeyTwiceInOneBatchMergesBoth) {
  // Concurrent writes of one key land in one group-commit batch; the second
  // must merge into the first, not into the record before the batch.
  for (std::size_t cache : {std::size_t{64} << 20, std::size_t{0}}) {
    TestDir dir("storage");
    auto o = options(dir, FsyncPolicy::kAlways, Versioning::kVv);
    o.record_cache_bytes = cache;
    auto st = Storage::open(o);
    // Written (and so cached) before the burst: the burst's merges must not
    // start from the cached pre-batch record.
    Sibling first;
    first.value = "first";
    first.stamp = {0, 0, "n1"};
    first.dot = Dot{"first", 1};
    st->apply_sync("k", Record{{first}});
    constexpr int kWrites = 40;
    std::atomic<int> done{0};
    for (int i = 0; i < kWrites; ++i) {
      Sibling s;  // concurrent vv writes: every one survives as a sibling
      s.value = "v" + std::to_string(i);
      s.stamp = {i, 0, "n1"};
      s.dot = Dot{"n" + std::to_string(i), 1};
      st->apply("k", Record{{s}}, [&](std::optional<std::string> err, Record) {
        EXPECT_FALSE(err);
        ++done;
      });
    }
    while (done.load() < kWrites) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_LT(st->stats().commits, static_cast<std::uint64_t>(kWrites));  // batches did form
    EXPECT_EQ(live_values(st->get("k")).size(), static_cast<std::size_t>(kWrites + 1)) << "cache " << cache;
    st.reset();
    EXPECT_EQ(live_values(Storage::open(o)->get("k")).size(), static_cast<std::size_t>(kWrites + 1));
  }
}

TEST(Storage, TinyCacheStillReadsWhatWasCommitted) {
  TestDir dir("storage");
  auto o = options(dir);
  o.record_cache_bytes = 2048;  // about one record: most reads miss
  auto st = Storage::open(o);
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 20; ++i) {
      const std::string k = "k" + std::to_string(i);
      st->apply_sync(k, lww("r" + std::to_string(round), 10 * round + 1));
      EXPECT_EQ(live_values(st->get(k)), std::vector<std::string>{"r" + std::to_string(round)});
      EXPECT_EQ(live_values(st->get_with_hints(k)), std::vector<std::string>{"r" + std::to_string(round)});
    }
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(live_values(st->get("k" + std::to_string(i))), std::vector<std::string>{"r2"});
}

TEST(Storage, CheckpointsRunWhileTheStoreIsOpen) {
  // The WAL must be copied into the database file while the store runs (a
  // node is rarely closed cleanly), or it grows without bound.
  TestDir dir("storage");
  auto st = Storage::open(options(dir, FsyncPolicy::kNever));
  const std::string kib(1024, 'v');
  for (int i = 0; i < 1500; ++i) st->apply_sync("k" + std::to_string(i), lww(kib, i + 1));
  const auto db = dir.path() / "node.db";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::filesystem::file_size(db) < (1u << 20) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GE(std::filesystem::file_size(db), 1u << 20) << "the WAL was never checkpointed into node.db";
  EXPECT_EQ(live_values(st->get("k7")), std::vector<std::string>{kib});
}

TEST(Storage, HintLifecycle) {
  TestDir dir("storage");
  auto st = Storage::open(options(dir));
  st->store_hint_sync("n2", "a", lww("1", 1));
  st->store_hint_sync("n2", "b", lww("2", 2));
  st->store_hint_sync("n3", "a", lww("3", 3));
  EXPECT_EQ(st->stats().hints, 3u);
  auto owners = st->hint_owners();
  std::sort(owners.begin(), owners.end());
  EXPECT_EQ(owners, (std::vector<std::string>{"n2", "n3"}));
  EXPECT_EQ(st->hint_counts(), (std::map<std::string, std::int64_t>{{"n2", 2}, {"n3", 1}}));
  auto hints = st->hints_for("n2", 10);
  ASSERT_EQ(hints.size(), 2u);
  EXPECT_EQ(hints[0].key, "a");  // oldest first
  EXPECT_EQ(hints[1].key, "b");
  EXPECT_EQ(st->hints_for("n2", 1).size(), 1u);
  // A node holding hints serves them to sloppy reads, not to plain ones.
  EXPECT_TRUE(st->get("a").empty());
  EXPECT_EQ(live_values(st->get_with_hints("a")), std::vector<std::string>{"3"});
  st->delete_hints_sync({hints[0].id, hints[1].id});
  EXPECT_TRUE(st->hints_for("n2", 10).empty());
  EXPECT_EQ(st->stats().hints, 1u);
  // The hint window: everything older than "now + 1s" goes.
  const auto future = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count() + 1000;
  EXPECT_EQ(st->drop_hints_older_than(future), 1);
  EXPECT_EQ(st->stats().hints, 0u);
}

TEST(Storage, UnwritableDirIsAClearError) {
  EXPECT_THROW(Storage::open(StorageOptions{"/proc/definitely/not/here", "n1"}), StorageError);
}

}  // namespace
}  // namespace faultline::node
