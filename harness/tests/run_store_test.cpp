// The run store against a real SQLite file in a scratch directory.
#include "faultline/harness/run_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "faultline/testing/test_dir.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;
using node::testing::TestDir;

RunRecord record(const std::string& id, const std::string& workload, const std::string& commit) {
  RunRecord r;
  r.id = id;
  r.test_name = workload + "-safe-none";
  r.workload = workload;
  r.preset = "safe";
  r.nemesis = "none";
  r.backend = "local";
  r.commit = commit;
  r.nodes = 3;
  r.seed = 42;
  r.config = {{"nodes", 3}};
  return r;
}

TEST(RunStore, BeginMakesTheDirectoryLatestLinksAndARunningRow) {
  TestDir dir("store");
  RunStore store(dir.path() / "store");
  RunRecord r = record("abc123", "register", "deadbeef");
  const fs::path run_dir = store.begin(r);
  EXPECT_TRUE(fs::is_directory(run_dir));
  EXPECT_EQ(run_dir.parent_path().filename(), "register-safe-none");
  EXPECT_EQ(fs::canonical(dir.path() / "store" / "latest"), fs::canonical(run_dir));
  EXPECT_EQ(fs::canonical(dir.path() / "store" / "register-safe-none" / "latest"), fs::canonical(run_dir));
  auto found = store.find("abc123");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->verdict, "running");
  EXPECT_EQ(found->dir, fs::absolute(run_dir).string());
  EXPECT_EQ(found->seed, 42u);
  EXPECT_EQ(found->config["nodes"], 3);
  EXPECT_FALSE(store.find("nope"));
}

TEST(RunStore, FinishRecordsTheOutcomeAndListFilters) {
  TestDir dir("store");
  RunStore store(dir.path());
  RunRecord a = record("aaaaaa", "register", "1111aaaa");
  RunRecord b = record("bbbbbb", "set", "2222bbbb");
  store.begin(a);
  store.begin(b);
  a.verdict = "valid";
  a.ops_ok = 10;
  store.finish(a);
  b.verdict = "invalid";
  b.anomalies = {{"lost", 2}};
  b.anomaly_count = 2;
  b.duration_s = 1.5;
  store.finish(b);

  auto all = store.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "bbbbbb") << "newest first";
  EXPECT_EQ(all[0].anomalies["lost"], 2);
  EXPECT_DOUBLE_EQ(all[0].duration_s, 1.5);
  EXPECT_EQ(all[1].ops_ok, 10);

  EXPECT_EQ(store.list({.verdict = "valid"}).size(), 1u);
  EXPECT_EQ(store.list({.workload = "set"}).at(0).id, "bbbbbb");
  EXPECT_EQ(store.list({.commit = "1111"}).at(0).id, "aaaaaa");
  EXPECT_TRUE(store.list({.commit = "3333"}).empty());
  EXPECT_EQ(store.list({.limit = 1}).size(), 1u);
}

TEST(RunStore, TwoRunsInOneMillisecondGetTwoDirectories) {
  TestDir dir("store");
  RunStore store(dir.path());
  std::set<fs::path> dirs;
  for (int i = 0; i < 5; ++i) {
    RunRecord r = record("r" + std::to_string(i), "register", "c");
    dirs.insert(store.begin(r));
  }
  EXPECT_EQ(dirs.size(), 5u);
}

TEST(RunStore, FinishingAnUnknownRunThrows) {
  TestDir dir("store");
  RunStore store(dir.path());
  EXPECT_THROW(store.finish(record("ghost", "register", "c")), std::runtime_error);
}

TEST(RunStore, AnUncreatableRootNamesThePath) {
  TestDir dir("store");
  std::ofstream(dir.path() / "file") << "x";
  try {
    RunStore store(dir.path() / "file" / "store");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("file/store"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace faultline::harness
