#include <gtest/gtest.h>

#include "faultline/reports/junit.h"
#include "faultline/reports/runs_index.h"

namespace faultline::reports {
namespace {

TEST(Junit, InvalidRunFailsNamingItsAnomalies) {
  JunitCase bad{.name = "register-safe-partition (seed 7)", .run_id = "abc", .dir = "store/x",
                .verdict = "invalid", .anomalies = {{"lost", 3}, {"stale-read", 1}}, .replay = "faultline run --seed 7"};
  JunitCase good{.name = "set-safe-none", .verdict = "valid", .time_s = 1.5};
  JunitCase err{.name = "set <&> \"odd\"", .verdict = "error", .error = "node n2 exited during start-up"};
  const std::string xml = junit_xml({bad, good, err});
  EXPECT_NE(xml.find("<testsuite name=\"faultline\" tests=\"3\" failures=\"1\" errors=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure type=\"invalid\" message=\"invalid: 3 lost, 1 stale-read\">"), std::string::npos) << xml;
  EXPECT_NE(xml.find("replay: faultline run --seed 7"), std::string::npos);
  EXPECT_NE(xml.find("name=\"set &lt;&amp;&gt; &quot;odd&quot;\""), std::string::npos) << "escaped names";
  EXPECT_NE(xml.find("<error type=\"error\" message=\"node n2 exited during start-up\">"), std::string::npos);
  // The valid case has no failure or error element.
  const auto at = xml.find("name=\"set-safe-none\"");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(xml.substr(at, xml.find("</testcase>", at) - at).find("<failure"), std::string::npos);
}

TEST(Junit, UnknownVerdictIsNotAPass) {
  const std::string xml = junit_xml({{.name = "r", .verdict = "unknown"}});
  EXPECT_NE(xml.find("<error type=\"unknown\""), std::string::npos);
  EXPECT_NE(xml.find("errors=\"1\""), std::string::npos);
}

std::vector<IndexRun> three_runs() {
  return {{.id = "c", .started_at = "2026-11-26T07:00:03Z", .workload = "set", .verdict = "invalid", .commit = "bbbb",
           .anomaly_count = 2, .anomalies = {{"lost", 2}}, .report_href = "set-r1w1-none/3/report.html"},
          {.id = "b", .started_at = "2026-11-26T07:00:02Z", .workload = "register", .verdict = "valid", .commit = "aaaa"},
          {.id = "a", .started_at = "2026-11-26T07:00:01Z", .workload = "register", .verdict = "invalid", .commit = "aaaa"}};
}

TEST(RunsIndex, TrendCountsVerdictsPerCommitInFirstTestedOrder) {
  const auto trend = verdict_trend(three_runs());
  ASSERT_EQ(trend.size(), 2u);
  EXPECT_EQ(trend[0].commit, "aaaa");
  EXPECT_EQ(trend[0].valid, 1);
  EXPECT_EQ(trend[0].invalid, 1);
  EXPECT_EQ(trend[1].commit, "bbbb");
  EXPECT_EQ(trend[1].invalid, 1);
}

TEST(RunsIndex, PageListsEveryRunLinkedToItsReport) {
  const std::string page = render_runs_index(three_runs());
  EXPECT_NE(page.find("<a href=\"set-r1w1-none/3/report.html\">c</a>"), std::string::npos);
  EXPECT_NE(page.find("<tr data-verdict=\"valid\">"), std::string::npos);
  EXPECT_NE(page.find("id=\"filter-text\""), std::string::npos);
  EXPECT_NE(page.find("<svg id=\"trend\""), std::string::npos);
  EXPECT_NE(page.find("lost 2"), std::string::npos);
  EXPECT_EQ(page.find("<script src"), std::string::npos);
}

}  // namespace
}  // namespace faultline::reports
