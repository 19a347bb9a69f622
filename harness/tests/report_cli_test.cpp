// `faultline report RUN_DIR` and `faultline report --index`, run as the real
// binary over a run directory and a run store made by hand.
#include <gtest/gtest.h>

#include <fstream>

#include "faultline/harness/run_store.h"
#include "faultline/testing/run_binary.h"
#include "faultline/testing/test_dir.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;
using faultline::testing::run_faultline;

void write_history(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream h(dir / "history.jsonl");
  h << R"({"meta":{"model":"set","workload":"set"}})" << "\n"
    << R"({"index":0,"time":1000000,"process":0,"type":"invoke","f":"add","value":1,"node":"n1"})" << "\n"
    << R"({"index":1,"time":2000000,"process":0,"type":"ok","f":"add","value":1,"node":"n1"})" << "\n";
}

using faultline::testing::slurp;

TEST(ReportCli, WritesTheReportOfARunDirectory) {
  node::testing::TestDir dir("report-cli");
  write_history(dir.path() / "run");
  const auto r = run_faultline({"report", (dir.path() / "run").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("report.html"), std::string::npos);
  const std::string page = slurp(dir.path() / "run" / "report.html");
  EXPECT_NE(page.find("data-verdict=\"unknown\""), std::string::npos) << "no results.json: not checked";
  EXPECT_NE(page.find("<canvas id=\"timeline\""), std::string::npos);
}

TEST(ReportCli, BadInputIsAClearUsageError) {
  node::testing::TestDir dir("report-cli");
  auto r = run_faultline({"report"});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("give either a RUN_DIR or --index"), std::string::npos) << r.err;
  r = run_faultline({"report", (dir.path() / "missing").string()});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("missing is not a directory"), std::string::npos) << r.err;
  r = run_faultline({"report", "--index", "--out", (dir.path() / "nostore").string()});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("no run store at"), std::string::npos) << r.err;
}

TEST(ReportCli, IndexListsStoredRunsLinkedToTheirReports) {
  node::testing::TestDir dir("report-cli");
  RunStore store(dir.path() / "store");
  RunRecord rec{.id = "r1x2y3", .test_name = "set-safe-none", .workload = "set", .preset = "safe",
                .nemesis = "none", .backend = "local", .commit = "feedbeef"};
  const fs::path run = store.begin(rec);
  write_history(run);
  rec.verdict = "invalid";
  rec.anomalies = {{"lost", 4}};
  rec.anomaly_count = 4;
  store.finish(rec);
  ASSERT_EQ(run_faultline({"report", run.string()}).exit_code, 0);
  const auto r = run_faultline({"report", "--index", "--out", (dir.path() / "store").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = slurp(dir.path() / "store" / "index.html");
  EXPECT_NE(page.find(">r1x2y3</a>"), std::string::npos);
  EXPECT_NE(page.find("href=\"set-safe-none/"), std::string::npos) << "a link relative to the store";
  EXPECT_NE(page.find("lost 4"), std::string::npos);
  EXPECT_NE(page.find("<tr data-verdict=\"invalid\">"), std::string::npos);
}

}  // namespace
}  // namespace faultline::harness
