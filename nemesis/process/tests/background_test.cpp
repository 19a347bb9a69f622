#include "faultline/process/background.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace faultline::process {
namespace {
using namespace std::chrono_literals;

TEST(BackgroundCommand, WaitsForTheReadyLineThenTerminates) {
  BackgroundCommand c;
  ASSERT_TRUE(c.start({"sh", "-c", "trap 'echo bye; exit 0' TERM; echo starting; sleep 0.1; echo 'ready now'; "
                                   "while true; do sleep 0.05; done"})
                  .ok);
  std::string line;
  Status st = c.wait_for_line("ready", 5s, &line);
  ASSERT_TRUE(st.ok) << st.error;
  EXPECT_EQ(line, "ready now");
  EXPECT_TRUE(c.running());
  CommandResult r = c.terminate();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("bye"), std::string::npos);
  EXPECT_FALSE(c.running());
}

TEST(BackgroundCommand, ExitBeforeReadyIsAFailureWithTheOutput) {
  BackgroundCommand c;
  ASSERT_TRUE(c.start({"sh", "-c", "echo 'no such device' >&2; exit 3"}).ok);
  Status st = c.wait_for_line("ready", 5s);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.error.find("no such device"), std::string::npos);
  EXPECT_NE(st.error.find("exit 3"), std::string::npos);
}

TEST(BackgroundCommand, IgnoringTermGetsKilledAfterGrace) {
  BackgroundCommand c;
  ASSERT_TRUE(c.start({"sh", "-c", "trap '' TERM; echo up; while true; do sleep 0.05; done"}).ok);
  ASSERT_TRUE(c.wait_for_line("up", 5s).ok);
  const pid_t pid = c.pid();
  const auto t = std::chrono::steady_clock::now();
  CommandResult r = c.terminate(200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t, 3s);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_NE(::kill(pid, 0), 0);  // gone and reaped
}

TEST(BackgroundCommand, ReadyTimeoutAndMissingProgram) {
  BackgroundCommand c;
  ASSERT_TRUE(c.start({"sleep", "5"}).ok);
  Status st = c.wait_for_line("ready", 100ms);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.error.find("not ready within 100 ms"), std::string::npos);
  BackgroundCommand missing;
  EXPECT_FALSE(missing.start({"no-such-program-faultline"}).ok);
}

}  // namespace
}  // namespace faultline::process
