#include "run/progress.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <sstream>

namespace faultline::harness {

Progress::Progress(std::ostream& out, bool terminal, double limit_s, const workloads::Stats& stats,
                   std::function<std::string()> faults)
    : out_(out), terminal_(terminal), limit_s_(limit_s), stats_(stats), faults_(std::move(faults)) {
  thread_ = std::thread([this] { loop(); });
}

Progress::~Progress() { stop(); }

void Progress::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  out_ << (terminal_ ? "\r\x1b[2K" : "") << line() << "\n" << std::flush;
}

bool Progress::is_terminal(std::ostream& out) {
  if (&out == &std::cout) return ::isatty(STDOUT_FILENO) == 1;
  if (&out == &std::cerr) return ::isatty(STDERR_FILENO) == 1;
  return false;
}

std::string Progress::line() const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const auto ok = stats_.ok.load(), fail = stats_.fail.load(), info = stats_.info.load();
  char buf[160];
  std::snprintf(buf, sizeof buf, "[%5.1f/%.0f s] %6.0f ops/s  ok %lld  fail %lld  info %lld", elapsed, limit_s_,
                elapsed > 0 ? static_cast<double>(ok + fail + info) / elapsed : 0.0, static_cast<long long>(ok),
                static_cast<long long>(fail), static_cast<long long>(info));
  std::string out = buf;
  const std::string f = faults_ ? faults_() : "";
  out += "  faults: " + (f.empty() ? std::string("none") : f);
  return out;
}

void Progress::loop() {
  // A terminal gets a fresh line twice a second; a log every 5 s.
  const auto period = terminal_ ? std::chrono::milliseconds(500) : std::chrono::milliseconds(5000);
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, period, [this] { return stopping_; })) {
    out_ << (terminal_ ? "\r\x1b[2K" : "") << line() << (terminal_ ? "" : "\n") << std::flush;
  }
}

}  // namespace faultline::harness
