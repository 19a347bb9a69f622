#include "backends/node_processes.h"

#include <signal.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "faultline/process/command.h"

namespace faultline::harness {

namespace bp = boost::process;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct NodeProcesses::Proc {
  std::mutex mu;  // one signal/wait at a time per node
  std::string node;
  std::unique_ptr<bp::child> child;
  ProcessId id;
  bool reaped = true;
};

namespace {

// True when every thread of `pid` is in state `T` (stopped) — or none is,
// for stopped == false. kill(SIGSTOP) returns before the threads have
// stopped (a thread running on another CPU is stopped by an interrupt
// shortly after); callers of pause() must be able to rely on "paused".
bool threads_stopped(pid_t pid, bool stopped) {
  std::error_code ec;
  bool any = false;
  for (const auto& t : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(t.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    const auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size()) continue;
    any = true;
    const bool is_stopped = line[close + 2] == 'T' || line[close + 2] == 't';
    if (is_stopped != stopped) return false;
  }
  return any;
}

void wait_threads(pid_t pid, bool stopped) {
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  while (!threads_stopped(pid, stopped) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace

NodeProcesses::NodeProcesses(Manifest& manifest, std::string run_id)
    : manifest_(manifest), run_id_(std::move(run_id)) {}

NodeProcesses::~NodeProcesses() { stop_all(std::chrono::milliseconds(0)); }

std::shared_ptr<NodeProcesses::Proc> NodeProcesses::find(const std::string& node) {
  std::lock_guard lock(mu_);
  auto it = procs_.find(node);
  if (it == procs_.end()) return nullptr;
  return it->second;
}

bool NodeProcesses::reap_until(Proc& p, Clock::time_point deadline) {
  if (p.reaped || !p.child) return true;
  for (;;) {
    std::error_code ec;
    // running() reaps (waitpid WNOHANG) once the child has exited.
    const bool alive = p.child->running(ec);
    if (!alive) {
      p.reaped = true;
      manifest_.remove({"process", p.node, p.id});
      return true;
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void NodeProcesses::start(const NodeSpec& spec, const std::vector<std::string>& launcher) {
  if (spec.argv.empty()) throw BackendError("start " + spec.name + ": empty argv");
  // The node's program must exist here, launcher or not: a missing one would
  // otherwise show only as a launcher that exits at once.
  if (!process::find_program(spec.argv[0])) {
    throw BackendError("start " + spec.name + ": program '" + spec.argv[0] + "' not found or not executable");
  }
  std::shared_ptr<Proc> p;
  std::unique_lock<std::mutex> plock;
  {
    std::lock_guard lock(mu_);
    if (closed_) throw BackendError("start " + spec.name + ": the run is being torn down");
    auto& slot = procs_[spec.name];
    if (!slot) {
      slot = std::make_shared<Proc>();
      slot->node = spec.name;
    }
    p = slot;
    // Taken before mu_ is released: a stop_all() that has just closed the
    // table then waits for this spawn and kills its process, never misses it.
    plock = std::unique_lock(p->mu);
  }
  if (!reap_until(*p, Clock::now())) {
    throw BackendError("start " + spec.name + ": already running as pid " + std::to_string(p->id.pid));
  }

  std::error_code ec;
  if (!spec.data_dir.empty()) {
    fs::create_directories(spec.data_dir, ec);
    if (ec) throw BackendError("start " + spec.name + ": cannot create data dir " + spec.data_dir.string() + ": " + ec.message());
  }
  std::vector<std::string> argv = launcher;
  argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
  const auto exe = process::find_program(argv[0]);
  if (!exe) throw BackendError("start " + spec.name + ": program '" + argv[0] + "' not found or not executable");
  std::vector<std::string> args(argv.begin() + 1, argv.end());

  const fs::path log_path = spec.log_path.empty() ? fs::path("/dev/null") : spec.log_path;
  if (!spec.log_path.empty() && spec.log_path.has_parent_path()) fs::create_directories(spec.log_path.parent_path(), ec);
  std::FILE* log = std::fopen(log_path.c_str(), "ae");
  if (log == nullptr) {
    throw BackendError("start " + spec.name + ": cannot open log " + log_path.string() + ": " + std::strerror(errno));
  }

  bp::environment env = boost::this_process::environment();
  for (const auto& [k, v] : spec.env) env[k] = v;
  env[kRunIdEnv] = run_id_;
  env[kControllerEnv] = manifest_.snapshot().controller.str();
  env["FAULTLINE_NODE"] = spec.name;

  try {
    p->child = std::make_unique<bp::child>(
        bp::exe = *exe, bp::args = args, env, bp::std_in < bp::null, (bp::std_out & bp::std_err) > log,
        bp::limit_handles,  // the controller's sockets and pipes are not the node's business
        bp::extend::on_exec_setup = [](auto&) { ::setsid(); });
  } catch (const std::exception& e) {
    std::fclose(log);
    throw BackendError("start " + spec.name + ": cannot spawn " + *exe + ": " + e.what());
  }
  std::fclose(log);
  p->reaped = false;
  p->id.pid = p->child->id();
  p->id.start = process_start_time(p->id.pid).value_or(0);
  manifest_.add({"process", spec.name, p->id});
}

bool NodeProcesses::running(const std::string& node) {
  auto p = find(node);
  if (!p) return false;
  std::lock_guard lock(p->mu);
  return !reap_until(*p, Clock::now());
}

pid_t NodeProcesses::pid(const std::string& node) {
  auto p = find(node);
  if (!p) return -1;
  std::lock_guard lock(p->mu);
  return reap_until(*p, Clock::now()) ? -1 : p->id.pid;
}

void NodeProcesses::stop(const std::string& node, std::chrono::milliseconds grace) {
  auto p = find(node);
  if (!p) return;
  std::lock_guard lock(p->mu);
  if (reap_until(*p, Clock::now())) return;
  ::kill(p->id.pid, SIGTERM);
  ::kill(p->id.pid, SIGCONT);  // a paused node would never see the SIGTERM
  if (reap_until(*p, Clock::now() + grace)) return;
  ::kill(p->id.pid, SIGKILL);
  if (!reap_until(*p, Clock::now() + std::chrono::seconds(10))) {
    throw BackendError("stop " + node + ": pid " + std::to_string(p->id.pid) + " survived SIGKILL for 10 s");
  }
}

void NodeProcesses::kill(const std::string& node) { stop(node, std::chrono::milliseconds(0)); }

void NodeProcesses::pause(const std::string& node) {
  auto p = find(node);
  if (!p) throw BackendError("pause " + node + ": not running");
  std::lock_guard lock(p->mu);
  if (reap_until(*p, Clock::now())) throw BackendError("pause " + node + ": not running");
  ::kill(p->id.pid, SIGSTOP);
  wait_threads(p->id.pid, true);
}

void NodeProcesses::resume(const std::string& node) {
  auto p = find(node);
  if (!p) throw BackendError("resume " + node + ": not running");
  std::lock_guard lock(p->mu);
  if (reap_until(*p, Clock::now())) throw BackendError("resume " + node + ": not running");
  ::kill(p->id.pid, SIGCONT);
  wait_threads(p->id.pid, false);
}

void NodeProcesses::stop_all(std::chrono::milliseconds grace) {
  std::vector<std::shared_ptr<Proc>> all;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    for (auto& [name, p] : procs_) all.push_back(p);
  }
  // Signal everyone first so the grace periods overlap.
  for (auto& p : all) {
    std::lock_guard lock(p->mu);
    if (reap_until(*p, Clock::now())) continue;
    ::kill(p->id.pid, grace.count() > 0 ? SIGTERM : SIGKILL);
    ::kill(p->id.pid, SIGCONT);
  }
  const auto deadline = Clock::now() + grace;
  for (auto& p : all) {
    std::lock_guard lock(p->mu);
    if (reap_until(*p, deadline)) continue;
    ::kill(p->id.pid, SIGKILL);
    reap_until(*p, Clock::now() + std::chrono::seconds(10));
  }
}

}  // namespace faultline::harness
