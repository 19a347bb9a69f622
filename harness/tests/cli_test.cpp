// The CLI contract: subcommands exist, help goes to stdout with exit 0, and
// anything malformed exits 254 with a usage message on stderr.
#include <gtest/gtest.h>

#include "faultline/testing/run_binary.h"

namespace faultline::testing {
namespace {

TEST(Cli, HelpListsEverySubcommand) {
  RunResult r = run_faultline({"--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* sub : {"run", "check", "report", "runs", "cleanup", "doctor", "version"}) {
    EXPECT_NE(r.out.find(std::string("  ") + sub + " "), std::string::npos) << "missing " << sub << " in\n" << r.out;
  }
}

TEST(Cli, NoSubcommandIsUsageError) {
  RunResult r = run_faultline({});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("Usage:"), std::string::npos) << r.err;
}

TEST(Cli, UnknownSubcommandNamesIt) {
  RunResult r = run_faultline({"frobnicate"});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("unknown subcommand 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Usage:"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(Cli, BadFlagIsUsageError) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--no-such-flag"}, {"version", "--bogus"}, {"doctor", "--bogus"}, {"check", "--bogus", "x"}}) {
    RunResult r = run_faultline(args);
    EXPECT_EQ(r.exit_code, 254) << args[0] << " " << r.err;
    EXPECT_FALSE(r.err.empty()) << args[0];
  }
}

TEST(Cli, VersionPrintsVersion) {
  RunResult r = run_faultline({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("faultline ", 0), 0u) << r.out;
}

TEST(Cli, ReportWithoutWhatToRenderRefusesClearly) {
  // `report` was the last pending subcommand (issue 8); report_cli_test covers the rest.
  RunResult r = run_faultline({"report"});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("give either a RUN_DIR or --index"), std::string::npos) << r.err;
}

TEST(Cli, RunsWithoutAStoreSaysWhere) {
  RunResult r = run_faultline({"runs", "--out", "/nonexistent/faultline-store"});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("/nonexistent/faultline-store"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace faultline::testing
