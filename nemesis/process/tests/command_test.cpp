#include "faultline/process/command.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>

namespace faultline::process {
namespace {

using namespace std::chrono_literals;

TEST(RunCommand, CapturesOutputAndExitCode) {
  CommandResult r = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_TRUE(r.started);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.succeeded());
  EXPECT_NE(r.output.find("out"), std::string::npos);
  EXPECT_NE(r.output.find("err"), std::string::npos);
  EXPECT_EQ(r.describe(), "exit 3: out");
}

TEST(RunCommand, Succeeds) {
  CommandResult r = run_command({"true"});
  EXPECT_TRUE(r.succeeded());
  EXPECT_EQ(r.describe(), "exit 0");
}

TEST(RunCommand, MissingProgramIsNotStarted) {
  CommandResult r = run_command({"faultline-no-such-program-xyz"});
  EXPECT_FALSE(r.started);
  EXPECT_FALSE(r.succeeded());
  EXPECT_NE(r.describe().find("not found"), std::string::npos);
}

TEST(RunCommand, TimeoutKillsTheWholeProcessGroup) {
  const auto start = std::chrono::steady_clock::now();
  // The background sleep keeps the output pipe open: only a group kill ends it.
  CommandResult r = run_command({"sh", "-c", "sleep 30 & sleep 30; echo never"}, {.timeout = 300ms});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.succeeded());
  EXPECT_LT(took, 3s);
  EXPECT_EQ(r.output.find("never"), std::string::npos);
  EXPECT_NE(r.describe().find("timed out"), std::string::npos);
}

TEST(RunCommand, PassesExtraEnvironment) {
  CommandResult r = run_command({"sh", "-c", "echo \"$FAULTLINE_TEST_VAR\""}, {.env = {{"FAULTLINE_TEST_VAR", "xyz"}}});
  EXPECT_TRUE(r.succeeded());
  EXPECT_EQ(first_line(r.output), "xyz");
}

TEST(RunCommand, ReportsTheKillingSignal) {
  CommandResult r = run_command({"sh", "-c", "kill -KILL $$"});
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_NE(r.describe().find("signal 9"), std::string::npos);
}

TEST(RunCommand, BoundsCapturedOutput) {
  CommandResult r = run_command({"sh", "-c", "head -c 200000 /dev/zero"}, {.max_output = 1000});
  EXPECT_TRUE(r.succeeded());
  EXPECT_EQ(r.output.size(), 1000u);
}

TEST(FindProgram, FindsShellAndSbinTools) {
  ASSERT_TRUE(find_program("sh").has_value());
  EXPECT_EQ(find_program("/bin/sh").value_or(""), "/bin/sh");
  EXPECT_FALSE(find_program("faultline-no-such-program-xyz").has_value());
  EXPECT_FALSE(find_program("").has_value());
}

TEST(FirstLine, SkipsBlankLinesAndTrims) {
  EXPECT_EQ(first_line("\n  \n  Error: nope  \nmore"), "Error: nope");
  EXPECT_EQ(first_line(""), "");
  EXPECT_EQ(first_line("single"), "single");
}

}  // namespace
}  // namespace faultline::process
