#include "faultline/process/forked.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <string>

namespace faultline::process {
namespace {

using Clock = std::chrono::steady_clock;

void write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

// Child side: report and leave without running the parent's atexit handlers
// or static destructors (they belong to the parent).
[[noreturn]] void report_and_exit(int fd, bool ok, const std::string& message) {
  write_all(fd, std::string(ok ? "1" : "0") + message);
  ::close(fd);
  ::_exit(0);
}

// Exited (zombie) but not yet reaped?
bool has_exited(pid_t pid) {
  siginfo_t info{};
  info.si_pid = 0;
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return true;
  return info.si_pid == pid;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 0;
  }
  return status;
}

}  // namespace

ForkedTask::ForkedTask(ForkedTask&& other) noexcept { *this = std::move(other); }

ForkedTask& ForkedTask::operator=(ForkedTask&& other) noexcept {
  if (this != &other) {
    kill_now();
    pid_ = other.pid_;
    fd_ = other.fd_;
    done_ = other.done_;
    buffer_ = std::move(other.buffer_);
    outcome_ = std::move(other.outcome_);
    deadline_ = other.deadline_;
    timeout_ = other.timeout_;
    other.pid_ = -1;
    other.fd_ = -1;
    other.done_ = true;
  }
  return *this;
}

ForkedTask::~ForkedTask() { kill_now(); }

void ForkedTask::kill_now() {
  if (pid_ > 0 && !done_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    reap(pid_);
    done_ = true;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  pid_ = -1;
}

ForkedTask ForkedTask::start(std::function<ChildOutcome()> work, const ForkOptions& options) {
  ForkedTask task;
  task.timeout_ = options.timeout;
  task.deadline_ = Clock::now() + options.timeout;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    task.outcome_ = {false, std::string("pipe: ") + std::strerror(errno), false};
    return task;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    task.outcome_ = {false, std::string("fork: ") + std::strerror(errno), false};
    ::close(fds[0]);
    ::close(fds[1]);
    return task;
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::setpgid(0, 0);  // the parent kills the whole group at a timeout
    if (options.new_netns && ::unshare(CLONE_NEWNET) != 0) {
      int err = errno;
      std::string why = std::string("unshare(CLONE_NEWNET): ") + std::strerror(err);
      if (err == EPERM) why += " (needs root or CAP_SYS_ADMIN)";
      report_and_exit(fds[1], false, why);
    }
    ChildOutcome outcome;
    try {
      outcome = work();
    } catch (const std::exception& e) {
      outcome = {false, std::string("exception: ") + e.what(), false};
    } catch (...) {
      outcome = {false, "unknown exception", false};
    }
    report_and_exit(fds[1], outcome.ok, outcome.message);
  }
  ::setpgid(pid, pid);
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  task.pid_ = pid;
  task.fd_ = fds[0];
  task.done_ = false;
  return task;
}

void ForkedTask::finish_from_status(int wait_status) {
  done_ = true;
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    outcome_ = {false, "probe process died from signal " + std::to_string(sig) + " (" + strsignal(sig) + ")", false};
    return;
  }
  if (buffer_.empty()) {
    int code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
    outcome_ = {false, "probe process exited (status " + std::to_string(code) + ") without reporting", false};
    return;
  }
  outcome_ = {buffer_[0] == '1', buffer_.substr(1), false};
}

void ForkedTask::pump() {
  if (done_) return;
  while (fd_ >= 0) {
    char buf[4096];
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) {
      buffer_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;  // more to come
    ::close(fd_);  // end of output (or a broken pipe: treated alike)
    fd_ = -1;
  }
  if (has_exited(pid_)) {
    ::kill(-pid_, SIGKILL);  // stragglers left in its process group
    finish_from_status(reap(pid_));
    pid_ = -1;
  }
}

void wait_all(std::vector<ForkedTask*>& tasks) {
  while (true) {
    std::vector<pollfd> pfds;
    bool pending = false, lingering = false;
    auto now = Clock::now();
    auto next_deadline = Clock::time_point::max();
    for (ForkedTask* t : tasks) {
      if (t == nullptr || t->done_) continue;
      t->pump();  // first: a task that finished in time is never called late
      if (t->done_) continue;
      if (now >= t->deadline_) {
        t->kill_now();
        t->outcome_ = {false, "timed out after " + std::to_string(t->timeout_.count()) + " ms", true};
        continue;
      }
      pending = true;
      next_deadline = std::min(next_deadline, t->deadline_);
      if (t->fd_ >= 0) {
        pfds.push_back(pollfd{t->fd_, POLLIN, 0});
      } else {
        lingering = true;  // output closed, exit not seen yet
      }
    }
    if (!pending) return;
    long long wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_deadline - now).count() + 1;
    if (lingering) wait = std::min<long long>(wait, 2);
    if (::poll(pfds.data(), pfds.size(), static_cast<int>(wait)) < 0 && errno != EINTR) return;
  }
}

ChildOutcome run_forked(std::function<ChildOutcome()> work, const ForkOptions& options) {
  ForkedTask task = ForkedTask::start(std::move(work), options);
  std::vector<ForkedTask*> tasks{&task};
  wait_all(tasks);
  return task.outcome();
}

}  // namespace faultline::process
