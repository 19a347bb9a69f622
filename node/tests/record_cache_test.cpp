// The record cache in front of SQLite must never answer with something older
// than what was committed (src/record_cache.h lists the rules).
#include "storage/record_cache.h"

#include <gtest/gtest.h>

namespace faultline::node {
namespace {

Record lww(const std::string& value, std::int64_t wall) {
  Sibling s;
  s.value = value;
  s.stamp = {wall, 0, "n1"};
  return Record{{s}};
}

TEST(RecordCache, CommitOverwritesAndFindReturnsTheLatest) {
  RecordCache c(1 << 20);
  EXPECT_EQ(c.find("k"), nullptr);
  std::vector<std::pair<std::string, Record>> w = {{"k", lww("a", 1)}};
  c.commit(w);
  w = {{"k", lww("b", 2)}};
  c.commit(w);
  ASSERT_NE(c.find("k"), nullptr);
  EXPECT_EQ(live_values(*c.find("k")), std::vector<std::string>{"b"});
}

TEST(RecordCache, FillAfterARacingCommitIsRefused) {
  RecordCache c(1 << 20);
  // A reader missed, took the generation and read "old" from SQLite; a
  // commit happened meanwhile (here to another key, which may since have
  // been evicted): the reader's snapshot may predate it, so no fill.
  const auto gen = c.generation();
  std::vector<std::pair<std::string, Record>> w = {{"other", lww("x", 5)}};
  c.commit(w);
  c.fill("k", lww("old", 1), gen);
  EXPECT_EQ(c.find("k"), nullptr);
  // With no commit in between, the fill lands.
  c.fill("k", lww("old", 1), c.generation());
  ASSERT_NE(c.find("k"), nullptr);
}

TEST(RecordCache, FillNeverReplacesACachedRecord) {
  RecordCache c(1 << 20);
  std::vector<std::pair<std::string, Record>> w = {{"k", lww("new", 2)}};
  c.commit(w);
  c.fill("k", lww("old", 1), c.generation());  // even with a current generation
  EXPECT_EQ(live_values(*c.find("k")), std::vector<std::string>{"new"});
}

TEST(RecordCache, EvictsLeastRecentlyUsedWithinItsBudget) {
  RecordCache c(3000);  // room for about two 1 KiB records
  const std::string kib(1024, 'v');
  for (const char* k : {"a", "b"}) {
    std::vector<std::pair<std::string, Record>> w = {{k, lww(kib, 1)}};
    c.commit(w);
  }
  ASSERT_NE(c.find("a"), nullptr);  // "a" is now the most recently used
  std::vector<std::pair<std::string, Record>> w = {{"c", lww(kib, 1)}};
  c.commit(w);
  EXPECT_NE(c.find("a"), nullptr);
  EXPECT_EQ(c.find("b"), nullptr);
  EXPECT_NE(c.find("c"), nullptr);
}

}  // namespace
}  // namespace faultline::node
