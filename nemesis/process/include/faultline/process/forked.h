// Running a piece of work in a forked child — optionally inside a fresh,
// private network namespace — with a deadline, and getting back one
// ok/message outcome through a pipe.
//
// Why a child: namespace and firewall work must never move a controller
// thread into another namespace (setns on a thread is sticky and invisible to
// the rest of the process). A child that unshare()s its own network namespace
// takes the namespace, and every veth, qdisc and rule in it, with it when it
// exits — nothing named is left behind, even on a timeout or crash.
//
// Fork from a process that has not started threads yet (or accept that the
// child only does simple work): the child runs ordinary C++ after fork().
#ifndef FAULTLINE_PROCESS_FORKED_H_
#define FAULTLINE_PROCESS_FORKED_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace faultline::process {

// What the work reports, and what the parent makes of the child's fate.
struct ChildOutcome {
  bool ok = false;
  std::string message;
  bool timed_out = false;  // the parent killed the child at the deadline
};

struct ForkOptions {
  bool new_netns = false;  // unshare(CLONE_NEWNET) in the child before the work
  std::chrono::milliseconds timeout{3000};
};

// One running child. Movable, not copyable; a still-running child is killed
// (with its whole process group) when its ForkedTask is destroyed.
class ForkedTask {
 public:
  ForkedTask() = default;
  ForkedTask(ForkedTask&& other) noexcept;
  ForkedTask& operator=(ForkedTask&& other) noexcept;
  ForkedTask(const ForkedTask&) = delete;
  ForkedTask& operator=(const ForkedTask&) = delete;
  ~ForkedTask();

  // Forks and starts `work` in the child. Exceptions thrown by `work` become a
  // failed outcome carrying what().
  static ForkedTask start(std::function<ChildOutcome()> work, const ForkOptions& options = {});

  bool done() const { return done_; }
  const ChildOutcome& outcome() const { return outcome_; }
  pid_t pid() const { return pid_; }

 private:
  friend void wait_all(std::vector<ForkedTask*>& tasks);
  void finish_from_status(int wait_status);
  void pump();  // reads what the child wrote; finishes the task once it has exited
  void kill_now();

  pid_t pid_ = -1;
  int fd_ = -1;
  bool done_ = true;
  std::string buffer_;
  ChildOutcome outcome_;
  std::chrono::steady_clock::time_point deadline_{};
  std::chrono::milliseconds timeout_{0};
};

// Waits for every task, in parallel, each until its own deadline; a task past
// its deadline is killed and reports a timeout.
void wait_all(std::vector<ForkedTask*>& tasks);

// Convenience: start one task and wait for it.
ChildOutcome run_forked(std::function<ChildOutcome()> work, const ForkOptions& options = {});

}  // namespace faultline::process

#endif  // FAULTLINE_PROCESS_FORKED_H_
