// Reports at the end of `faultline run`: every run leaves report.html in its
// directory and refreshes store/index.html; --junit writes one test case per
// run. Real node processes (local backend, so no root needed).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "faultline/testing/run_binary.h"
#include "faultline/testing/test_dir.h"

namespace {

namespace fs = std::filesystem;
using faultline::node::testing::TestDir;
using faultline::testing::run_faultline;
using faultline::testing::RunResult;
using faultline::testing::slurp;

TEST(RunReports, EveryRunLeavesAReportAnIndexAndJunit) {
  TestDir dir("run-report");
  const std::string out = (dir.path() / "store").string();
  const std::string junit = (dir.path() / "junit.xml").string();
  RunResult r = run_faultline({"run", "--backend", "local", "--nodes", "3", "--time-limit", "3", "--rate", "200",
                               "--seed", "5", "--test-count", "2", "--out", out, "--junit", junit});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("report: "), std::string::npos) << r.err;
  const fs::path run_dir = fs::canonical(fs::path(out) / "latest");
  const std::string page = slurp(run_dir / "report.html");
  EXPECT_NE(page.find("data-verdict=\"valid\""), std::string::npos);
  EXPECT_NE(page.find("--seed 6"), std::string::npos) << "the replay command names the second run's seed";
  EXPECT_NE(page.find("on the run's clock"), std::string::npos) << "node logs placed on the history's clock";
  const std::string index = slurp(fs::path(out) / "index.html");
  std::size_t rows = 0;
  for (std::size_t at = index.find("<tr data-verdict=\"valid\">"); at != std::string::npos;
       at = index.find("<tr data-verdict=\"valid\">", at + 1))
    ++rows;
  EXPECT_EQ(rows, 2u) << "both runs in the index";
  const std::string xml = slurp(junit);
  EXPECT_NE(xml.find("tests=\"2\" failures=\"0\" errors=\"0\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"register-safe-none (seed 5)\""), std::string::npos) << xml;
}

TEST(RunReports, ARunThatFailedToStartStillGetsAReportAndAJunitError) {
  TestDir dir("run-report-bad");
  const fs::path script = dir.path() / "broken-node";
  std::ofstream(script) << "#!/bin/sh\necho 'broken on purpose' >&2\nexit 3\n";
  fs::permissions(script, fs::perms::owner_all);
  const std::string out = (dir.path() / "store").string();
  const std::string junit = (dir.path() / "junit.xml").string();
  RunResult r = run_faultline({"run", "--backend", "local", "--nodes", "3", "--time-limit", "2", "--node-binary",
                               script.string(), "--out", out, "--junit", junit});
  EXPECT_EQ(r.exit_code, 255) << r.out << r.err;
  const std::string page = slurp(fs::canonical(fs::path(out) / "latest") / "report.html");
  EXPECT_NE(page.find("data-verdict=\"error\""), std::string::npos);
  EXPECT_NE(page.find("broken on purpose"), std::string::npos) << "the banner carries the reason";
  const std::string xml = slurp(junit);
  EXPECT_NE(xml.find("<error type=\"error\""), std::string::npos) << xml;
}

}  // namespace
