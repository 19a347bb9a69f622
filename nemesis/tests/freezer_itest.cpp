// The cgroup freezer pauses a process for real, thaws it, and leaves no
// cgroup behind. Needs root.
#include "freezer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "faultline/testing/require_root.h"

namespace faultline::nemesis {
using process::Status;
namespace {

using namespace std::chrono_literals;

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// A child writing a byte every millisecond.
struct Ticker {
  pid_t pid = -1;
  int fd = -1;
  Ticker() {
    int p[2];
    if (::pipe(p) != 0) return;
    pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::close(p[0]);
      while (true) {
        if (::write(p[1], "x", 1) < 0) ::_exit(1);
        ::usleep(1000);
      }
    }
    ::close(p[1]);
    fd = p[0];
    ::fcntl(fd, F_SETFL, O_NONBLOCK);
  }
  std::size_t drain() {
    char buf[1024];
    std::size_t total = 0;
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) total += static_cast<std::size_t>(n);
    return total;
  }
  std::size_t progress_during(std::chrono::milliseconds window) {
    drain();
    std::this_thread::sleep_for(window);
    return drain();
  }
  void stop() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      pid = -1;
    }
  }
  ~Ticker() {
    stop();
    if (fd >= 0) ::close(fd);
  }
};

class FreezerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FAULTLINE_REQUIRE_ROOT();
    auto h = find_freezer_hierarchy();
    if (!h) FAULTLINE_SKIP_OR_FAIL("no cgroup freezer hierarchy on this machine");
    hierarchy = *h;
    name = "faultline-itest-" + std::to_string(::getpid());
  }
  FreezerHierarchy hierarchy;
  std::string name;
};

TEST_F(FreezerTest, FreezesThawsAndCleansUp) {
  FreezerCgroup group;
  ASSERT_TRUE(group.create(hierarchy, name).ok);
  const std::string path = group.path();
  EXPECT_TRUE(exists(path));
  Ticker ticker;
  ASSERT_GT(ticker.pid, 0);
  ASSERT_TRUE(group.add(ticker.pid).ok);
  EXPECT_GT(ticker.progress_during(30ms), 0u);

  Status st = group.freeze();
  ASSERT_TRUE(st.ok) << st.error;
  EXPECT_EQ(ticker.progress_during(100ms), 0u) << "a frozen process made progress";
  st = group.thaw();
  ASSERT_TRUE(st.ok) << st.error;
  EXPECT_GT(ticker.progress_during(100ms), 0u) << "a thawed process made no progress";

  ticker.stop();
  st = group.destroy();
  EXPECT_TRUE(st.ok) << st.error;
  EXPECT_FALSE(exists(path));
}

TEST_F(FreezerTest, DestroyRefusesWhileProcessesRemainAndDestructorCleansUp) {
  std::string path;
  {
    FreezerCgroup group;
    ASSERT_TRUE(group.create(hierarchy, name).ok);
    path = group.path();
    Ticker ticker;
    ASSERT_TRUE(group.add(ticker.pid).ok);
    ASSERT_TRUE(group.freeze().ok);
    Status st = group.destroy(100ms);
    EXPECT_FALSE(st.ok);
    EXPECT_NE(st.error.find("Device or resource busy"), std::string::npos) << st.error;
    // destroy() thawed it first: the process runs again and can be killed.
    EXPECT_GT(ticker.progress_during(50ms), 0u);
    ticker.stop();
  }  // ~FreezerCgroup removes it now that it is empty
  EXPECT_FALSE(exists(path));
}

TEST_F(FreezerTest, CreatingTwiceFails) {
  FreezerCgroup a, b;
  ASSERT_TRUE(a.create(hierarchy, name).ok);
  Status st = b.create(hierarchy, name);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.error.find("File exists"), std::string::npos) << st.error;
}

}  // namespace
}  // namespace faultline::nemesis
