// `faultline bisect` on a scratch copy of this repository with a planted
// regression: a commit that quietly makes the `safe` preset read and write
// at ONE. A stored valid run of `safe` under partitions, replayed at each
// candidate, must become invalid from that commit on, and bisect must name it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "faultline/testing/require_root.h"
#include "faultline/testing/run_binary.h"
#include "faultline/testing/test_dir.h"
#include "faultline/testing/paths.h"

namespace {

namespace fs = std::filesystem;
using faultline::node::testing::TestDir;
using faultline::testing::run_binary;
using faultline::testing::run_faultline;
using faultline::testing::RunResult;

RunResult git(const fs::path& repo, std::vector<std::string> args) {
  args.insert(args.begin(), {"-C", repo.string(), "-c", "user.email=bisect@test", "-c", "user.name=bisect test"});
  return run_binary("/usr/bin/git", args);
}

std::string head(const fs::path& repo) {
  std::string out = git(repo, {"rev-parse", "HEAD"}).out;
  return out.substr(0, out.find('\n'));
}

void commit_edit(const fs::path& repo, const std::string& file, const std::string& from, const std::string& to,
                 const std::string& message) {
  const fs::path path = repo / file;
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (from.empty()) {
    text += to;
  } else {
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from << " not in " << file;
    text.replace(at, from.size(), to);
  }
  std::ofstream(path) << text;
  if (message.empty()) return;  // more edits go into the same commit
  ASSERT_EQ(git(repo, {"commit", "-qam", message}).exit_code, 0);
}

TEST(Bisect, NamesTheCommitThatWeakenedThePreset) {
  FAULTLINE_REQUIRE_ROOT();
  TestDir dir("bisect");
  const fs::path repo = dir.path() / "repo";
  ASSERT_EQ(run_binary("/usr/bin/git", {"clone", "-q", faultline::testing::source_dir().string(), repo.string()}).exit_code, 0);
  const std::string good = head(repo);
  commit_edit(repo, "README.md", "", "\nA harmless change.\n", "docs: a harmless change");
  // The regression: safe resolves R and W to 1 (R + W = 2 <= N = 3).
  commit_edit(repo, "node/src/config.cpp", "  } else if (c.preset != \"r1w1\") {\n    c.r = c.n / 2 + 1;",
              "  } else if (c.preset != \"r1w1\" && c.preset != \"safe\") {\n    c.r = c.n / 2 + 1;", "");
  commit_edit(repo, "node/src/config.cpp", "  } else if (c.preset != \"r1w1\") {\n    c.w = c.n / 2 + 1;",
              "  } else if (c.preset != \"r1w1\" && c.preset != \"safe\") {\n    c.w = c.n / 2 + 1;", "");
  commit_edit(repo, "node/src/config.cpp", "if (name == \"safe\") return c;",
              "if (name == \"safe\") { c.r = 1; c.w = 1; return c; }", "node: faster safe reads (planted regression)");
  const std::string first_bad = head(repo);
  commit_edit(repo, "README.md", "", "\nAnother harmless change.\n", "docs: another harmless change");
  const std::string bad = head(repo);

  // The run to replay: safe under partitions, valid with today's build.
  const fs::path store = dir.path() / "store";
  RunResult run = run_faultline({"run", "--nodes", "5", "--store-preset", "safe", "--nemesis", "partition",
                                 "--nemesis-interval", "2", "--time-limit", "10", "--recovery", "2", "--seed", "3",
                                 "--out", store.string()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const fs::path run_dir = fs::canonical(store / "latest");

  RunResult b = run_binary(faultline::testing::faultline_binary(), {"bisect", "--good", good, "--bad", bad, "--run", run_dir.string(), "--repeat", "2",
                               "--repo", repo.string(), "--work", (dir.path() / "work").string()},
                           std::chrono::seconds(600));
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  EXPECT_NE(b.out.find("first bad commit: " + first_bad), std::string::npos)
      << "expected " << first_bad << "\n" << b.out << b.err;
  EXPECT_NE(b.out.find("planted regression"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("report: "), std::string::npos) << "links to the failing reports:\n" << b.out;
  // The user's checkout is untouched and the worktree is gone.
  EXPECT_EQ(head(repo), bad);
  EXPECT_EQ(git(repo, {"worktree", "list"}).out.find("work/tree"), std::string::npos);
  EXPECT_EQ(git(repo, {"status", "--porcelain"}).out, "");
}

TEST(Bisect, BadArgumentsAreNamed) {
  TestDir dir("bisect-args");
  RunResult r = run_faultline({"bisect", "--good", "HEAD~1", "--bad", "HEAD", "--run", (dir.path() / "none").string()});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("no config.json"), std::string::npos) << r.err;
  std::ofstream(dir.path() / "config.json") << R"({"nodes": 3, "workload": "register", "seed": 1})";
  r = run_faultline({"bisect", "--good", "no-such-rev", "--bad", "HEAD", "--run", dir.path().string(), "--repo",
                     faultline::testing::source_dir().string()});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("--good 'no-such-rev' is not a commit"), std::string::npos) << r.err;
  r = run_faultline({"bisect", "--good", "HEAD", "--bad", "HEAD~1", "--run", dir.path().string(), "--repo",
                     faultline::testing::source_dir().string()});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("is not an ancestor"), std::string::npos) << r.err;
}

}  // namespace
