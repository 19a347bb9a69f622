// Opens a generated report of an invalid run in Debian's headless Chromium
// (ci/install-deps.sh installs it) and checks, through the DOM the page's
// script leaves behind, that the verdict, the anomaly list and the timeline
// are there and that no script error happened; also takes a screenshot.
// Chromium starts slowly on small machines: one launch does it all.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
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

}  // namespace
}  // namespace faultline::reports
