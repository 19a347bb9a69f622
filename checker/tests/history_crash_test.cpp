// A writer process killed with SIGKILL mid-stream leaves a readable prefix
// that holds everything it appended more than about a second before it died.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <thread>

#include "faultline/history/jsonl.h"
#include "faultline/history/load.h"
#include "history_test_files.h"

namespace faultline::history {
namespace {

// CLOCK_MONOTONIC is shared by parent and child, so the child stamps each
// event with it and the parent can tell how old the last surviving one is.
std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The child: two threads append steadily (with values big enough that
// batches span many pages, so a kill can land mid-write) until killed.
[[noreturn]] void write_until_killed(const std::string& path, int ready_fd) {
  try {
    HistoryWriter writer(path, Json{{"test", "kill -9"}});
    const char one = '1';
    if (::write(ready_fd, &one, 1) != 1) ::_exit(3);
    auto client = [&writer](std::int64_t process) {
      const std::string payload(200, 'p');
      for (std::int64_t i = 0; i < 100'000'000; ++i) {
        Op op;
        op.index = -1;
        op.process = process;
        op.type = i % 2 == 0 ? OpType::kInvoke : OpType::kOk;
        op.f = "write";
        op.key = "k" + std::to_string(i % 10);
        op.value = Json::array({i, payload});
        op.time = now_ns();
        writer.append(op);
        if (i % 16 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    };
    std::thread other(client, 1);
    client(0);
    other.join();
  } catch (...) {
    ::_exit(2);
  }
  ::_exit(0);  // not reached in the test: the parent kills first
}

TEST(HistoryWriterCrash, KillNineLeavesAReadablePrefix) {
  testing::ScratchDir dir;
  const std::string path = dir.file("killed.jsonl");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    write_until_killed(path, ready[1]);
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "child did not start";
  ::close(ready[0]);

  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const std::int64_t killed_at = now_ns();
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited by itself with status " << status;
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  // The whole prefix loads, pairs (an unfinished invoke is allowed), and is
  // in order; the torn last line, if any, is reported, not fatal.
  LoadInfo info;
  History h;
  ASSERT_NO_THROW(h = load_history(path, Format::kJsonl, &info));
  EXPECT_EQ(h.meta, (Json{{"test", "kill -9"}}));
  ASSERT_FALSE(h.ops.empty());
  for (std::size_t i = 0; i < h.ops.size(); ++i) ASSERT_EQ(h.ops[i].index, static_cast<std::int64_t>(i));

  // Loss bound: the writer hands events to the kernel every 0.1 s, so the
  // last surviving event is recent; allow the "about a second" of the
  // contract, generously, as this machine is shared.
  const std::int64_t last = h.ops.back().time;
  const double lost_seconds = static_cast<double>(killed_at - last) / 1e9;
  EXPECT_LT(lost_seconds, 1.0) << "events from the last " << lost_seconds << " s before the kill were lost";
  std::cout << "kept " << h.ops.size() << " events; the newest was written " << lost_seconds * 1000
            << " ms before the kill; torn final line: " << (info.truncated ? "yes" : "no") << "\n";
}

}  // namespace
}  // namespace faultline::history
