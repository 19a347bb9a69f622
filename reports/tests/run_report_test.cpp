#include "faultline/reports/run_report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "diagrams.h"
#include "faultline/testing/test_dir.h"
#include "large_history.h"
#include "report_fixture.h"

namespace faultline::reports {
namespace {

namespace fs = std::filesystem;

std::string invalid_run_page(const fs::path& dir) {
  const auto h = testing::stale_read_history();
  testing::write_run_dir(dir, h, testing::results_for(h), testing::config_json());
  const fs::path out = write_run_report(dir);
  EXPECT_EQ(out, dir / "report.html");
  std::ifstream in(out);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(RunReport, ExpectedAnomaliesGiveAnAmberInvalidBannerNeverAGreenOne) {
  faultline::node::testing::TestDir dir("report-expected");
  const auto h = testing::stale_read_history();
  const fs::path run = dir.path() / "run";
  testing::write_run_dir(run, h, testing::results_for(h, "register", {"r1w1", {"stale-read", "nonlinearizable"}}),
                         testing::config_json());
  std::ifstream in(write_run_report(run));
  const std::string page(std::istreambuf_iterator<char>(in), {});
  EXPECT_NE(page.find("class=\"banner v-invalid-expected\" data-verdict=\"invalid\" data-expected=\"true\""),
            std::string::npos);
  EXPECT_NE(page.find("<h1>INVALID \u2014 expected for r1w1: "), std::string::npos);
  EXPECT_NE(page.find("id=\"anomaly-counts\">Anomalies found: 1 nonlinearizable, 1 stale-read"), std::string::npos);
  EXPECT_EQ(page.find("banner v-valid"), std::string::npos);
  EXPECT_NE(page.find("expected for the preset"), std::string::npos);
}

TEST(RunReport, InvalidRunPageHasBannerAnomaliesTimelineGraphsAndLogs) {
  faultline::node::testing::TestDir dir("report");
  const std::string page = invalid_run_page(dir.path() / "run");
  EXPECT_NE(page.find("data-verdict=\"invalid\""), std::string::npos);
  EXPECT_NE(page.find("<h1>INVALID</h1>"), std::string::npos);
  EXPECT_NE(page.find("<code id=\"replay\">faultline run --nodes 3"), std::string::npos);
  EXPECT_NE(page.find("id=\"anomaly-list\""), std::string::npos);
  EXPECT_NE(page.find("data-kind=\"stale-read\""), std::string::npos);
  EXPECT_NE(page.find("while partition (majority) n1 n2 | n3"), std::string::npos);
  EXPECT_NE(page.find("class=\"mini-timeline\""), std::string::npos);
  EXPECT_NE(page.find("Precedence of the witness operations"), std::string::npos);
  EXPECT_NE(page.find("read its value"), std::string::npos) << "the reads-from edge of the precedence graph";
  EXPECT_NE(page.find("<figure class=\"graph partition\"><svg"), std::string::npos) << "partition topology inline";
  EXPECT_NE(page.find("<canvas id=\"timeline\""), std::string::npos);
  EXPECT_NE(page.find("id=\"report-data\""), std::string::npos);
  // The log excerpt around the stale read (0.5 s to 1.6 s, +-1 s) holds the read repair at 1.55 s.
  EXPECT_NE(page.find("1.550 s  {"), std::string::npos);
  EXPECT_NE(page.find("href=\"nodes/n1/data/node.log\""), std::string::npos);
}

TEST(RunReport, PageIsSelfContained) {
  faultline::node::testing::TestDir dir("report");
  const std::string page = invalid_run_page(dir.path() / "run");
  EXPECT_EQ(page.find("<script src"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
  // Only relative links (the run's own logs) and in-page anchors; the one
  // absolute URL allowed is the SVG namespace.
  const std::regex url(R"((src|href)=\"(https?:)?//)");
  EXPECT_FALSE(std::regex_search(page, url));
}

TEST(RunReport, ScriptDataCannotCloseItsScriptElement) {
  ReportInput in;
  in.history = testing::stale_read_history();
  in.history.ops[0].key = "</script><script>alert(1)</script>";
  in.history.ops[1].key = in.history.ops[0].key;
  const std::string page = render_report_html(in, build_model(in));
  const auto data = page.find("id=\"report-data\"");
  ASSERT_NE(data, std::string::npos);
  const auto end = page.find("</script>", data);
  const auto escaped = page.find("<\\/script><script>alert(1)<\\/script>", data);
  ASSERT_NE(escaped, std::string::npos) << "the key is in the data, escaped";
  EXPECT_LT(escaped, end) << "the data element ends after the key, not inside it";
}

TEST(RunReport, RepeatedPartitionTopologiesAreDrawnOnce) {
  testing::HistoryBuilder b;
  const Json other = {{"grudge", {{"n1", {"n2", "n3"}}, {"n2", {"n1"}}, {"n3", {"n1"}}}}};
  b.op(0, "write", 1, 100, 200)
      .fault(history::FaultPhase::kStart, "partition", {}, testing::partition_params(), 1000)
      .fault(history::FaultPhase::kStop, "partition", {}, Json::object(), 2000)
      .fault(history::FaultPhase::kStart, "partition", {}, other, 3000)
      .fault(history::FaultPhase::kStop, "partition", {}, Json::object(), 4000)
      .fault(history::FaultPhase::kStart, "partition", {}, testing::partition_params(), 5000)
      .fault(history::FaultPhase::kStop, "partition", {}, Json::object(), 6000)
      .op(0, "read", 1, 6100, 6200);
  ReportInput in;
  in.history = b.build();
  const std::string page = render_report_html(in, build_model(in));
  std::size_t figures = 0;
  for (auto at = page.find("<figure class=\"graph partition\">"); at != std::string::npos;
       at = page.find("<figure class=\"graph partition\">", at + 1))
    ++figures;
  EXPECT_EQ(figures, 2u);
  EXPECT_NE(page.find("<figcaption>1.0 s – 2.0 s, 5.0 s – 6.0 s</figcaption>"), std::string::npos);
  EXPECT_NE(page.find("partition (majority) n1 n2 | n3"), std::string::npos);
}

TEST(PartitionDot, BothWaysIsAPlainEdgeOneWayADashedArrowNoneNoEdge) {
  // n1 drops what n2 sends; n3 is cut off from both, both ways.
  FaultWindow w{.fault = "partition",
                .params = {{"grudge", {{"n1", {"n2", "n3"}}, {"n2", {"n3"}}, {"n3", {"n1", "n2"}}}}}};
  const std::string dot = partition_dot(w, {"n1", "n2", "n3"});
  EXPECT_NE(dot.find("\"n1\" -> \"n2\" [color=\"#c62828\", style=dashed]"), std::string::npos) << dot;
  EXPECT_EQ(dot.find("\"n1\" -> \"n3\""), std::string::npos) << dot;
  EXPECT_EQ(dot.find("\"n2\" -> \"n3\""), std::string::npos) << dot;
  FaultWindow none{.fault = "partition", .nodes = {"n1"}};
  EXPECT_EQ(partition_dot(none, {"n1", "n2"}), "") << "no grudge, nothing to draw";
}

TEST(RunReport, LoadRunDirNamesWhatIsMissing) {
  faultline::node::testing::TestDir dir("report");
  try {
    load_run_dir(dir.path() / "nope");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nope is not a directory"), std::string::npos) << e.what();
  }
  fs::create_directories(dir.path() / "empty");
  try {
    load_run_dir(dir.path() / "empty");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no history.jsonl in"), std::string::npos) << e.what();
  }
  const auto h = testing::stale_read_history();
  testing::write_run_dir(dir.path() / "bad", h, testing::results_for(h), testing::config_json());
  std::ofstream(dir.path() / "bad" / "results.json") << "{ not json";
  try {
    load_run_dir(dir.path() / "bad");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("results.json is not valid JSON"), std::string::npos) << e.what();
  }
}

TEST(RunReport, CrashedControllerLeavesOnlyAHistoryAndStillGetsAReport) {
  faultline::node::testing::TestDir dir("report");
  const fs::path run = dir.path() / "run";
  fs::create_directories(run);
  history::write_jsonl((run / "history.jsonl").string(), testing::stale_read_history());
  const std::string page = render_report_html(load_run_dir(run), build_model(load_run_dir(run)));
  EXPECT_NE(page.find("data-verdict=\"unknown\""), std::string::npos);
  EXPECT_NE(page.find("the replay command is unknown"), std::string::npos);
  EXPECT_NE(page.find("The checkers found no anomalies"), std::string::npos);
}

// Issue 8's bound: a 100,000-operation history renders into a page under
// 10 MB. (Its time is measured by reports/bench/report_bench, not asserted.)
TEST(RunReport, HundredThousandOperationsFitInTenMegabytes) {
  ReportInput in;
  in.history = bench::large_history(100000);
  in.config = {{"concurrency", 20}, {"nodes", 5}};
  const ReportModel m = build_model(in);
  EXPECT_EQ(m.ok + m.fail + m.info, 100000);
  const std::string page = render_report_html(in, m);
  EXPECT_LT(page.size(), 10u * 1000 * 1000);
  EXPECT_GT(page.size(), 1u * 1000 * 1000) << "every operation is embedded";
}

}  // namespace
}  // namespace faultline::reports
