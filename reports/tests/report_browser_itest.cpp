// Opens a generated report of an invalid run in Debian's headless Chromium
// (ci/install-deps.sh installs it) and checks, through the DOM the page's
// script leaves behind, that the verdict, the anomaly list and the timeline
// are there and that no script error happened; also takes a screenshot.
// Chromium starts slowly on small machines: one launch does it all.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>

#include "faultline/reports/run_report.h"
#include "faultline/testing/run_binary.h"
#include "faultline/testing/test_dir.h"
#include "report_fixture.h"

namespace faultline::reports {
namespace {

namespace fs = std::filesystem;

std::string chromium() {
  if (const char* env = std::getenv("FAULTLINE_CHROMIUM")) return env;
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

std::vector<std::string> chromium_args(const fs::path& profile) {
  return {"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + profile.string(),
          "--window-size=1280,2000", "--enable-logging=stderr", "--v=0"};
}

TEST(ReportBrowser, InvalidRunRendersWithoutScriptErrors) {
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (ci/install-deps.sh installs it)";
  node::testing::TestDir dir("report-browser");
  const fs::path run = dir.path() / "run";
  const auto h = testing::stale_read_history();
  testing::write_run_dir(run, h, testing::results_for(h), testing::config_json());
  const fs::path page = write_run_report(run);
  // Opened zoomed to 0.95 s - 1.7 s through the address, as a shared link
  // would be: the timeline then holds the write of 2 and the stale read only.
  const std::string url = "file://" + page.string() + "#t=0.95-1.7";

  // One launch does both: the DOM after the script ran, and a screenshot.
  const fs::path shot = dir.path() / "report.png";
  auto args = chromium_args(dir.path() / "profile");
  args.push_back("--dump-dom");
  args.push_back("--screenshot=" + shot.string());
  args.push_back(url);
  const auto dom = faultline::testing::run_binary(browser, args, std::chrono::seconds(90));
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  // The script ran to its end and recorded no error.
  EXPECT_NE(dom.out.find("data-rendered=\"yes\""), std::string::npos) << dom.out.substr(0, 2000);
  EXPECT_FALSE(std::regex_search(dom.out, std::regex(R"(<body[^>]*data-script-errors=)")));
  EXPECT_TRUE(std::regex_search(dom.out, std::regex(R"(<div id="script-errors" hidden[^>]*></div>)")))
      << "the error box is empty and hidden";
  EXPECT_EQ(dom.out.find("class=\"script-error\""), std::string::npos);
  EXPECT_EQ(dom.err.find("Uncaught"), std::string::npos) << dom.err;
  // Verdict, anomaly list, timeline with every operation drawn.
  EXPECT_NE(dom.out.find("data-verdict=\"invalid\""), std::string::npos);
  EXPECT_NE(dom.out.find("<ol id=\"anomaly-list\">"), std::string::npos);
  EXPECT_NE(dom.out.find("data-kind=\"stale-read\""), std::string::npos);
  EXPECT_TRUE(std::regex_search(dom.out, std::regex(R"(<canvas id="timeline"[^>]*data-visible-ops="2")")))
      << "the zoomed timeline drew the 2 operations in its range";
  EXPECT_NE(dom.out.find("0.950 s – 1.70 s, 2 operations"), std::string::npos) << "the range shown above it";
  // The run had a clock fault: its offsets are plotted.
  EXPECT_NE(dom.out.find("<canvas id=\"plot-clock\""), std::string::npos);
  // Membership came from the node logs, so its plot is shown, not the empty note.
  EXPECT_TRUE(std::regex_search(dom.out, std::regex(R"(<p id="membership-empty" hidden)")));

  ASSERT_TRUE(fs::exists(shot));
  EXPECT_GT(fs::file_size(shot), 20000u) << "a screenshot of a drawn page, not a blank one";
  std::ifstream in(shot, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  if (const char* keep = std::getenv("FAULTLINE_KEEP_SCREENSHOT")) fs::copy_file(shot, keep, fs::copy_options::overwrite_existing);
}

// Zoomed out, a pixel holds many operations. It is coloured by their shares:
// sparse failures among oks must not paint a process red, a window where it
// mostly failed must. A run without clock faults has no clock panel.
TEST(ReportBrowser, ZoomedOutTimelineColoursByShareOfFailures) {
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (ci/install-deps.sh installs it)";
  node::testing::TestDir dir("report-browser-shares");
  testing::HistoryBuilder b;
  // 6 s of 1 ms operations on two processes (12,000: the aggregated view).
  // P0: every 100th fails. P1: everything fails from 2 s to 3 s.
  for (int t = 0; t < 6000; ++t) {
    b.op(0, "write", t, t, t + 1, t % 100 == 50 ? history::OpType::kFail : history::OpType::kOk, "k" + std::to_string(t / 200));
    b.op(1, "write", t, t, t + 1, t >= 2000 && t < 3000 ? history::OpType::kFail : history::OpType::kOk, "j" + std::to_string(t / 200));
  }
  const history::History h = b.build();
  const fs::path run = dir.path() / "run";
  Json config = testing::config_json();
  config["nemesis"] = Json::array();
  testing::write_run_dir(run, h, testing::results_for(h), config);
  const fs::path page = write_run_report(run);

  auto args = chromium_args(dir.path() / "profile");
  args.push_back("--dump-dom");
  args.push_back("file://" + page.string());
  const auto dom = faultline::testing::run_binary(browser, args, std::chrono::seconds(90));
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  ASSERT_NE(dom.out.find("data-rendered=\"yes\""), std::string::npos) << dom.out.substr(0, 2000);
  EXPECT_EQ(dom.err.find("Uncaught"), std::string::npos) << dom.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom.out, m, std::regex(R"re(data-fail-cells="(\d+)")re"))) << "aggregated view drawn";
  const int fail_cells = std::stoi(m[1]);
  ASSERT_TRUE(std::regex_search(dom.out, m, std::regex(R"re(data-mostly-fail-cells="(\d+)")re")));
  const int mostly = std::stoi(m[1]);
  std::cout << "cells with a failure: " << fail_cells << ", mostly failures: " << mostly << "\n";
  // The timeline is about 1,200 px wide for 6 s: P1's failed second is
  // about 200 cells; P0's 60 sparse failures touch cells but none is mostly
  // failures (about 8 operations per cell).
  EXPECT_GT(mostly, 120) << "the window where P1 failed is red";
  EXPECT_LT(mostly, 300) << "nothing else is";
  EXPECT_GE(fail_cells, mostly + 50) << "P0's sparse failures are in cells of their own";
  EXPECT_EQ(dom.out.find("<canvas id=\"plot-clock\""), std::string::npos) << "no clock faults: no clock panel";
  EXPECT_EQ(dom.out.find("<h3>Clock offsets"), std::string::npos);
}

}  // namespace
}  // namespace faultline::reports
