// Probes that need no namespace: who we run as, the clock-skew library, and
// the two ways of pausing a process group (cgroup freezer, SIGSTOP).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <thread>

#include "faultline/nemesis/capabilities.h"
#include "faultline/process/command.h"
#include "freezer.h"
#include "probes/probe_support.h"

namespace faultline::nemesis {
using process::ChildOutcome;
using process::CommandResult;
using process::Status;
using process::first_line;
using process::run_command;
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

Capability make(const char* name, const char* title, bool ok, std::string reason) {
  Capability c;
  c.name = name;
  c.title = title;
  c.ok = ok;
  c.reason = std::move(reason);
  return c;
}

// A child that writes one byte every 2 ms: progress we can watch stop and
// resume, whatever pauses it.
class Ticker {
 public:
  ~Ticker() { stop(); }

  Status start() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return Status::failure(std::string("pipe: ") + std::strerror(errno));
    pid_ = ::fork();
    if (pid_ < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      return Status::failure(std::string("fork: ") + std::strerror(errno));
    }
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::close(fds[0]);
      const timespec tick{0, 2'000'000};
      while (true) {
        if (::write(fds[1], "x", 1) < 0 && errno != EINTR) ::_exit(1);
        ::nanosleep(&tick, nullptr);
      }
    }
    ::close(fds[1]);
    fd_ = fds[0];
    ::fcntl(fd_, F_SETFL, O_NONBLOCK);
    return Status::success();
  }

  pid_t pid() const { return pid_; }

  std::size_t drain() {
    std::size_t total = 0;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fd_, buf, sizeof buf)) > 0) total += static_cast<std::size_t>(n);
    return total;
  }

  // No progress at all during `window` (after dropping what came before).
  bool silent_for(std::chrono::milliseconds window) {
    drain();
    std::this_thread::sleep_for(window);
    return drain() == 0;
  }

  bool ticks_within(std::chrono::milliseconds window) {
    drain();
    pollfd pfd{fd_, POLLIN, 0};
    return ::poll(&pfd, 1, static_cast<int>(window.count())) > 0 && drain() > 0;
  }

  // Kills and reaps; gives up reaping after a short while (a task frozen by
  // a cgroup v1 freezer only dies once thawed).
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGCONT);
      ::kill(pid_, SIGKILL);
      const auto deadline = Clock::now() + 500ms;
      while (::waitpid(pid_, nullptr, WNOHANG) == 0 && Clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
      }
      pid_ = -1;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
};

bool wait_stopped(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WSTOPPED | WNOHANG) != 0) return false;
    if (info.si_pid == pid && info.si_code == CLD_STOPPED) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

}  // namespace

Capability probe_root() {
  if (::geteuid() == 0) return make(cap::kRoot, "root", true, "running as root (euid 0)");
  return make(cap::kRoot, "root", false,
              "running as " + detail::current_user() +
                  ", not root; namespaces, links, qdiscs, firewall rules and cgroups need root "
                  "(run `sudo faultline doctor` to probe them)");
}

std::optional<std::string> find_libfaketime() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("FAULTLINE_LIBFAKETIME"); env != nullptr && *env != '\0') {
    if (fs::exists(env)) return std::string(env);
  }
  std::vector<fs::path> dirs;
  for (const char* base : {"/usr/local/lib", "/usr/lib", "/usr/lib64", "/lib", "/lib64"}) {
    dirs.emplace_back(base);
  }
  // Debian multiarch: /usr/lib/x86_64-linux-gnu, /usr/lib/aarch64-linux-gnu, ...
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib", ec)) {
    std::string name = entry.path().filename().string();
    if (entry.is_directory(ec) && name.find("-linux-gnu") != std::string::npos) dirs.push_back(entry.path());
  }
  for (const auto& dir : dirs) {
    for (const fs::path& candidate : {dir / "faketime" / "libfaketime.so.1", dir / "libfaketime.so.1"}) {
      if (fs::exists(candidate, ec)) return candidate.string();
    }
  }
  return std::nullopt;
}

namespace detail {

std::string faketime_offset_file(pid_t pid) { return "/tmp/faultline-doctor-faketime-" + std::to_string(pid); }

ChildOutcome faketime_work(std::chrono::milliseconds timeout, const std::string& path) {
  auto fail = [](std::string why) { return ChildOutcome{false, std::move(why), false}; };
  std::optional<std::string> lib = find_libfaketime();
  if (!lib) {
    return fail("libfaketime.so.1 not found under /usr/lib, /usr/local/lib or the multiarch directories "
                "(install the libfaketime package, or set FAULTLINE_LIBFAKETIME)");
  }
  // The nemesis drives skew through an offset file it rewrites at run time,
  // so probe exactly that mode.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) {  // left by a killed probe whose pid we now have
    ::unlink(path.c_str());
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  }
  if (fd < 0) return fail("create " + path + ": " + std::strerror(errno));
  const char offset[] = "+1d\n";
  bool wrote = ::write(fd, offset, sizeof offset - 1) == static_cast<ssize_t>(sizeof offset - 1);
  ::close(fd);
  CommandResult r;
  if (wrote) {
    r = run_command({"date", "+%s"}, {.timeout = timeout,
                                      .env = {{"LD_PRELOAD", *lib},
                                              {"FAKETIME_TIMESTAMP_FILE", path},
                                              {"FAKETIME_NO_CACHE", "1"},
                                              {"FAKETIME_DONT_FAKE_MONOTONIC", "1"}}});
  }
  const long long now = static_cast<long long>(std::time(nullptr));
  ::unlink(path.c_str());
  if (!wrote) return fail("could not write the offset file " + path);
  if (!r.succeeded()) return fail("date under " + *lib + ": " + r.describe());
  long long faked = std::atoll(first_line(r.output).c_str());
  long long shift = faked - now;
  if (shift < 86400 - 300 || shift > 86400 + 300) {
    return fail("preloaded " + *lib + ", but `date` was shifted by " + std::to_string(shift) +
                " s instead of +86400 s (library not effective)");
  }
  return {true, *lib + " shifted `date` by +1 day through an offset file (FAKETIME_TIMESTAMP_FILE, no caching)",
          false};
}

ChildOutcome sigstop_work() {
  auto fail = [](std::string why) { return ChildOutcome{false, std::move(why), false}; };
  Ticker ticker;
  if (Status st = ticker.start(); !st) return fail(st.error);
  ::kill(ticker.pid(), SIGSTOP);
  if (!wait_stopped(ticker.pid(), 500ms)) return fail("a test process did not stop on SIGSTOP within 500 ms");
  if (!ticker.silent_for(20ms)) return fail("a stopped test process kept running");
  ::kill(ticker.pid(), SIGCONT);
  if (!ticker.ticks_within(500ms)) return fail("a test process did not resume on SIGCONT");
  return {true, "stopped and resumed a test process with SIGSTOP/SIGCONT", false};
}

}  // namespace detail

Capability probe_faketime(const ProbeOptions& options) {
  ChildOutcome r = detail::faketime_work(detail::command_timeout(options.timeout),
                                         detail::faketime_offset_file(::getpid()));
  return make(cap::kFaketime, "libfaketime", r.ok, r.message);
}

Capability probe_freezer(const ProbeOptions& options) {
  const char* title = "cgroup freezer";
  std::optional<FreezerHierarchy> hierarchy = find_freezer_hierarchy();
  if (!hierarchy) {
    return make(cap::kFreezer, title, false, "no freezer hierarchy mounted (neither a cgroup v1 freezer nor cgroup2)");
  }
  const std::string where = hierarchy->version == CgroupVersion::v1 ? "cgroup v1 freezer at " + hierarchy->mount_point
                                                                    : "cgroup v2 at " + hierarchy->mount_point;
  bool privileged = options.privileged.value_or(::geteuid() == 0);
  if (!privileged && ::access(hierarchy->mount_point.c_str(), W_OK) != 0) {
    Capability c = make(cap::kFreezer, title, false, detail::needs_root_reason("to create a cgroup in " + where));
    c.probed = false;
    return c;
  }
  FreezerCgroup group;
  const std::string name = "faultline-doctor-" + std::to_string(::getpid());
  if (Status st = group.create(*hierarchy, name); !st) return make(cap::kFreezer, title, false, where + ": " + st.error);
  Ticker ticker;
  // Ends in the order that cannot hang: thaw, kill the ticker, remove the group.
  auto finish = [&](bool ok, std::string reason) {
    group.thaw(500ms);
    ticker.stop();
    if (Status st = group.destroy(500ms); !st) {
      ok = false;
      reason += "; cleanup: " + st.error;
    }
    return make(cap::kFreezer, title, ok, std::move(reason));
  };
  if (Status st = ticker.start(); !st) return finish(false, st.error);
  if (Status st = group.add(ticker.pid()); !st) return finish(false, where + ": " + st.error);
  if (Status st = group.freeze(500ms); !st) return finish(false, where + ": " + st.error);
  if (!ticker.silent_for(40ms)) return finish(false, where + ": the group reported frozen but its process kept running");
  if (Status st = group.thaw(500ms); !st) return finish(false, where + ": " + st.error);
  if (!ticker.ticks_within(300ms)) return finish(false, where + ": a thawed process did not resume");
  return finish(true, "froze and thawed a test process in a scratch cgroup (" + where + "), then removed it");
}

Capability probe_sigstop(const ProbeOptions&) {
  ChildOutcome r = detail::sigstop_work();
  return make(cap::kSigstop, "SIGSTOP pause", r.ok, r.message);
}

}  // namespace faultline::nemesis
