#include "faultline/process/background.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace faultline::process {
namespace {
using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxOutput = 64 * 1024;
}  // namespace

BackgroundCommand::~BackgroundCommand() { terminate(std::chrono::milliseconds(500)); }

BackgroundCommand::BackgroundCommand(BackgroundCommand&& other) noexcept { *this = std::move(other); }

BackgroundCommand& BackgroundCommand::operator=(BackgroundCommand&& other) noexcept {
  if (this != &other) {
    terminate(std::chrono::milliseconds(500));
    pid_ = std::exchange(other.pid_, -1);
    output_fd_ = std::exchange(other.output_fd_, -1);
    reaped_ = std::exchange(other.reaped_, false);
    result_ = std::move(other.result_);
  }
  return *this;
}

Status BackgroundCommand::start(const std::vector<std::string>& argv,
                                const std::vector<std::pair<std::string, std::string>>& env) {
  if (pid_ > 0 && !reaped_) return Status::failure("already running (pid " + std::to_string(pid_) + ")");
  reset();
  if (argv.empty()) return Status::failure("empty command");
  std::optional<std::string> program = find_program(argv[0]);
  if (!program) return Status::failure(argv[0] + ": not found in PATH or the sbin directories");
  SpawnedChild child = spawn_child(*program, argv, env);
  if (!child.error.empty()) return Status::failure(child.error);
  pid_ = child.pid;
  output_fd_ = child.output_fd;
  result_.started = true;
  return Status::success();
}

void BackgroundCommand::reset() {
  pid_ = -1;
  output_fd_ = -1;
  reaped_ = false;
  result_ = CommandResult{};
}

void BackgroundCommand::read_available(int timeout_ms) {
  if (output_fd_ < 0) return;
  pollfd pfd{output_fd_, POLLIN, 0};
  int rc = ::poll(&pfd, 1, timeout_ms);
  if (rc <= 0) return;
  char buf[4096];
  ssize_t n = ::read(output_fd_, buf, sizeof buf);
  if (n <= 0) {
    if (n < 0 && errno == EINTR) return;
    ::close(output_fd_);  // EOF: the program closed its output
    output_fd_ = -1;
    return;
  }
  std::size_t room = kMaxOutput > result_.output.size() ? kMaxOutput - result_.output.size() : 0;
  result_.output.append(buf, std::min<std::size_t>(room, static_cast<std::size_t>(n)));
}

Status BackgroundCommand::wait_for_line(const std::string& prefix, std::chrono::milliseconds timeout,
                                        std::string* line) {
  const auto deadline = Clock::now() + timeout;
  std::size_t scanned = 0;
  while (true) {
    // Look for a complete line starting with the prefix.
    while (true) {
      std::size_t end = result_.output.find('\n', scanned);
      if (end == std::string::npos) break;
      std::string candidate = result_.output.substr(scanned, end - scanned);
      scanned = end + 1;
      if (candidate.rfind(prefix, 0) == 0) {
        if (line != nullptr) *line = candidate;
        return Status::success();
      }
    }
    if (!running()) {
      return Status::failure("exited before it was ready (" + result_.describe() + ")" +
                             (result_.output.empty() ? "" : ": " + result_.output));
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Status::failure("not ready within " + std::to_string(timeout.count()) + " ms");
    read_available(static_cast<int>(std::min<long>(left, 100)));
  }
}

bool BackgroundCommand::running() {
  if (pid_ <= 0 || reaped_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    if (WIFEXITED(status)) result_.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result_.signal = WTERMSIG(status);
    // Drain what it wrote before exiting.
    for (int i = 0; i < 64 && output_fd_ >= 0; ++i) read_available(0);
    return false;
  }
  return true;
}

CommandResult BackgroundCommand::terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return result_;
  if (running()) {
    ::kill(-pid_, SIGTERM);
    const auto deadline = Clock::now() + grace;
    while (running() && Clock::now() < deadline) read_available(20);
    if (running()) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
      result_.signal = SIGKILL;
    }
  }
  // The program may have left children holding the pipe; the group kill
  // above covers a stuck one; stop reading at EOF or after a short while.
  for (int i = 0; i < 50 && output_fd_ >= 0; ++i) read_available(10);
  if (output_fd_ >= 0) {
    ::close(output_fd_);
    output_fd_ = -1;
  }
  return result_;
}

}  // namespace faultline::process
