#include "faultline/process/forked.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

namespace faultline::process {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(RunForked, ReturnsTheChildsOutcome) {
  ChildOutcome ok = run_forked([] { return ChildOutcome{true, "fine", false}; });
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.message, "fine");
  EXPECT_FALSE(ok.timed_out);

  ChildOutcome bad = run_forked([] { return ChildOutcome{false, "broken: because", false}; });
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.message, "broken: because");
}

TEST(RunForked, RunsInAnotherProcess) {
  const pid_t parent = ::getpid();
  ChildOutcome r = run_forked([parent] { return ChildOutcome{::getpid() != parent, "", false}; });
  EXPECT_TRUE(r.ok);
}

TEST(RunForked, LongMessagesSurvive) {
  std::string big(100000, 'x');
  ChildOutcome r = run_forked([big] { return ChildOutcome{true, big, false}; });
  EXPECT_EQ(r.message.size(), big.size());
}

TEST(RunForked, ExceptionBecomesAFailure) {
  ChildOutcome r = run_forked([]() -> ChildOutcome { throw std::runtime_error("kaboom"); });
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("kaboom"), std::string::npos);
}

TEST(RunForked, CrashIsReportedNotPropagated) {
  // SIGKILL, because sanitizers turn SIGSEGV into an ordinary exit.
  ChildOutcome r = run_forked([]() -> ChildOutcome {
    ::raise(SIGKILL);
    return {true, "unreachable", false};
  });
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.timed_out);
  EXPECT_NE(r.message.find("died from signal 9"), std::string::npos) << r.message;
}

TEST(RunForked, SilentExitIsReported) {
  ChildOutcome r = run_forked([]() -> ChildOutcome { ::_exit(3); });
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("exited (status 3) without reporting"), std::string::npos) << r.message;
}

TEST(RunForked, TimeoutKillsTheChildAndItsGroup) {
  const auto start = Clock::now();
  ChildOutcome r = run_forked(
      [] {
        if (::fork() == 0) {  // a grandchild holding the pipe open
          ::sleep(30);
          ::_exit(0);
        }
        ::sleep(30);
        return ChildOutcome{true, "too late", false};
      },
      {.timeout = 200ms});
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.timed_out);
  EXPECT_NE(r.message.find("timed out after 200 ms"), std::string::npos);
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST(WaitAll, TasksRunInParallel) {
  const auto start = Clock::now();
  std::vector<ForkedTask> tasks;
  for (int i = 0; i < 4; ++i) {
    tasks.push_back(ForkedTask::start([i] {
      std::this_thread::sleep_for(300ms);
      return ChildOutcome{true, std::to_string(i), false};
    }));
  }
  std::vector<ForkedTask*> ptrs;
  for (auto& t : tasks) ptrs.push_back(&t);
  wait_all(ptrs);
  EXPECT_LT(Clock::now() - start, 1100ms);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(tasks[i].done());
    EXPECT_TRUE(tasks[i].outcome().ok);
    EXPECT_EQ(tasks[i].outcome().message, std::to_string(i));
  }
}

TEST(WaitAll, AFinishedTaskIsNotCalledLateWhenCollectedLate) {
  ForkedTask task = ForkedTask::start([] { return ChildOutcome{true, "done early", false}; }, {.timeout = 100ms});
  std::this_thread::sleep_for(300ms);  // the caller was busy past the deadline
  std::vector<ForkedTask*> ptrs{&task};
  wait_all(ptrs);
  EXPECT_TRUE(task.outcome().ok);
  EXPECT_EQ(task.outcome().message, "done early");
}

TEST(ForkedTask, DestroyingARunningTaskKillsIt) {
  pid_t pid = -1;
  {
    ForkedTask task = ForkedTask::start([] {
      ::sleep(30);
      return ChildOutcome{true, "", false};
    });
    pid = task.pid();
    ASSERT_GT(pid, 0);
  }
  EXPECT_NE(::kill(pid, 0), 0);  // gone (and reaped)
}

}  // namespace
}  // namespace faultline::process
