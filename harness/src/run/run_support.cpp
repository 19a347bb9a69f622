// Helpers the run's steps share (run_state.h): signals, bounded steps, files.
#include <csignal>
#include <fstream>
#include <future>
#include <thread>

#include "run/run_state.h"

namespace faultline::harness {
namespace {

std::atomic<bool> g_signalled{false};
extern "C" void on_stop_signal(int) { g_signalled.store(true); }

}  // namespace

bool signalled() { return g_signalled.load(); }

struct SignalScope::Saved {
  struct sigaction old_int {}, old_term {};
};

SignalScope::SignalScope() : saved_(std::make_unique<Saved>()) {
  g_signalled.store(false);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  ::sigaction(SIGINT, &sa, &saved_->old_int);
  ::sigaction(SIGTERM, &sa, &saved_->old_term);
}

SignalScope::~SignalScope() {
  ::sigaction(SIGINT, &saved_->old_int, nullptr);
  ::sigaction(SIGTERM, &saved_->old_term, nullptr);
}

void RunState::forward_signal() {
  if (signalled() && !interrupted) {
    interrupted = true;
    stop.store(true);
    progress << "\n  interrupted by a signal: stopping the workload, healing faults, tearing down\n" << std::flush;
  }
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

bool run_bounded(std::function<void()> body, Clock::time_point deadline, const std::function<void()>& on_poll) {
  auto task = std::make_shared<std::packaged_task<void()>>(std::move(body));
  std::future<void> done = task->get_future();
  std::thread thread([task] { (*task)(); });
  while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    on_poll();
    if (Clock::now() > deadline) {
      thread.detach();
      return false;
    }
  }
  thread.join();
  done.get();  // rethrows what the body threw
  return true;
}

void write_json(const std::filesystem::path& path, const nlohmann::json& doc) {
  std::ofstream out(path);
  out << doc.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace faultline::harness
