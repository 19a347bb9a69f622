// The storage hooks anti-entropy uses: the commit observer, the full scan
// and the tombstone purge (storage.h).
#include <future>
#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include "storage/storage.h"
#include "faultline/testing/test_dir.h"

namespace faultline::node {
namespace {

using testing::TestDir;

StorageOptions options(const TestDir& dir) {
  StorageOptions o;
  o.dir = dir.str();
  o.node_id = "n1";
  o.fsync = FsyncPolicy::kNever;
  return o;
}

Record version(std::optional<std::string> value, std::int64_t wall) {
  Sibling s;
  s.value = std::move(value);
  s.stamp = {wall, 0, "n1"};
  return Record{{s}};
}

std::vector<std::string> purge(Storage& st, std::vector<std::string> keys, std::int64_t cutoff) {
  std::promise<std::vector<std::string>> p;
  st.purge_tombstones(std::move(keys), cutoff, [&](std::optional<std::string> err, std::vector<std::string> purged) {
    EXPECT_FALSE(err);
    p.set_value(std::move(purged));
  });
  return p.get_future().get();
}

TEST(StorageAntiEntropy, ObserverSeesEveryChangedKeyBeforeTheAck) {
  TestDir dir("storage-ae");
  auto st = Storage::open(options(dir));
  std::mutex mu;
  std::map<std::string, Record> seen;
  int calls = 0;
  st->set_commit_observer([&](const std::string& key, const Record& r) {
    std::lock_guard lock(mu);
    seen[key] = r;
    ++calls;
  });
  st->apply_sync("a", version("1", 10));
  {
    std::lock_guard lock(mu);  // the ack came after the observer ran
    EXPECT_EQ(seen["a"], version("1", 10));
  }
  st->apply_sync("a", version("old", 5));  // loses the merge: nothing changed, no call
  st->apply_sync("b", version(std::nullopt, 20));
  std::lock_guard lock(mu);
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(seen["b"].siblings[0].tombstone());
}

TEST(StorageAntiEntropy, ForEachRecordListsEveryKeyInOrder) {
  TestDir dir("storage-ae");
  auto st = Storage::open(options(dir));
  for (const char* k : {"c", "a", "b"}) st->apply_sync(k, version(std::string("v") + k, 1));
  std::vector<std::string> keys;
  st->for_each_record([&](const std::string& k, const Record& r) {
    keys.push_back(k);
    EXPECT_EQ(live_values(r), std::vector<std::string>{"v" + k});
  });
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(StorageAntiEntropy, PurgeDeletesOnlyOldTombstones) {
  TestDir dir("storage-ae");
  auto st = Storage::open(options(dir));
  std::vector<std::string> removed;
  st->set_commit_observer([&](const std::string& key, const Record& r) {
    if (r.empty()) removed.push_back(key);
  });
  st->apply_sync("old-tomb", version(std::nullopt, 100));
  st->apply_sync("new-tomb", version(std::nullopt, 900));
  st->apply_sync("live", version("x", 100));
  st->apply_sync("rewritten", version(std::nullopt, 100));
  st->apply_sync("rewritten", version("back", 200));  // written again since its delete
  const auto purged = purge(*st, {"old-tomb", "new-tomb", "live", "rewritten", "never-written"}, 500);
  EXPECT_EQ(purged, std::vector<std::string>{"old-tomb"});
  EXPECT_EQ(removed, std::vector<std::string>{"old-tomb"});
  EXPECT_TRUE(st->get("old-tomb").empty());      // gone, from the cache too
  EXPECT_FALSE(st->get("new-tomb").empty());
  EXPECT_EQ(live_values(st->get("rewritten")), std::vector<std::string>{"back"});
  // And from disk: a reopened store does not have it.
  st.reset();
  st = Storage::open(options(dir));
  EXPECT_TRUE(st->get("old-tomb").empty());
  EXPECT_FALSE(st->get("new-tomb").empty());
}

}  // namespace
}  // namespace faultline::node
