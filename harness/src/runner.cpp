#include "faultline/harness/runner.h"


#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <future>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "backend_control.h"
#include "build_info.h"
#include "faultline/checker/judge.h"
#include "faultline/history/load.h"
#include "faultline/harness/backend.h"
#include "faultline/harness/run_store.h"
#include "faultline/nemesis/clock_file.h"
#include "faultline/nemesis/schedule.h"
#include "faultline/nemesis/summary.h"
#include "faultline/workloads/kv_client.h"
#include "faultline/workloads/workload.h"
#include "node_launch.h"
#include "progress.h"
#include "run_reports.h"
#include "join.h"

namespace faultline::harness {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

// SIGINT/SIGTERM: stop the workload, then tear down and store as usual. The
// handler resets itself, so a second signal kills the controller at once;
// `faultline cleanup` then removes what the run left.
std::atomic<bool> g_signalled{false};
extern "C" void on_stop_signal(int) { g_signalled.store(true); }

class SignalScope {
 public:
  SignalScope() {
    g_signalled.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
  }
  ~SignalScope() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

// A step overran its deadline. Objects the step's thread still uses are
// leaked on purpose rather than destroyed under it.
struct StepTimeout : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string random_token(std::size_t length) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string out;
  for (std::size_t i = 0; i < length; ++i) out += kAlphabet[rd() % (sizeof kAlphabet - 1)];
  return out;
}

std::string verdict_name(check::Validity v) {
  return v == check::Validity::kValid ? "valid" : v == check::Validity::kInvalid ? "invalid" : "unknown";
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// 221840 -> "221,840": the closing line is read, not parsed.
std::string with_thousands(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}


// Runs `body` on its own thread and waits until it returns or `deadline`
// passes; `on_poll` runs every 100 ms meanwhile (forwarding signals).
// Returns false on a timeout, leaving the thread detached.
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

void write_json(const fs::path& path, const json& doc) {
  std::ofstream out(path);
  out << doc.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

void wait_ready(Backend& backend, const std::vector<NodeAddress>& nodes, const fs::path& run_dir,
                Clock::time_point deadline) {
  std::vector<bool> ready(nodes.size(), false);
  while (true) {
    bool all = true;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (ready[i]) continue;
      const auto& n = nodes[i];
      if (!backend.running(n.name)) {
        throw std::runtime_error("node " + n.name + " exited during start-up; its output:\n" +
                                 log_tail(run_dir / "nodes" / n.name / "output.log") + "its log:\n" +
                                 log_tail(run_dir / "nodes" / n.name / "data" / "node.log", 10));
      }
      workloads::KvClient client(n.address(), std::chrono::milliseconds(300));
      ready[i] = client.ping().ok();
      all = all && ready[i];
    }
    if (all) return;
    if (g_signalled.load()) throw std::runtime_error("interrupted while waiting for the cluster");
    if (Clock::now() > deadline) {
      std::string slow;
      for (std::size_t i = 0; i < nodes.size(); ++i)
        if (!ready[i]) slow += " " + nodes[i].name;
      throw std::runtime_error("nodes not answering ping before the ready timeout:" + slow + "; output of the first:\n" +
                               log_tail(run_dir / "nodes" / slow.substr(1, slow.find(' ', 1) - 1) / "output.log"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}


// The run's nemesis: its faults over the backend, its schedule, and where its
// windows and log lines go. Built after the cluster is ready; heal() runs
// before any teardown, whatever happened, so nothing stays frozen, skewed,
// partitioned or shaped.
class RunNemesis {
 public:
  RunNemesis(const RunConfig& config, Backend& backend, const std::vector<NodeAddress>& nodes,
             std::map<std::string, NodeSpec> specs, const fs::path& clock_dir, const json& node_config,
             const fs::path& run_dir, Clock::time_point t0, std::ostream& progress)
      : control_(backend, nodes, std::move(specs),
                 std::chrono::milliseconds(static_cast<long>(config.ready_timeout_s * 1000))),
        log_(run_dir / "nemesis.log", std::ios::app),
        t0_(t0) {
    nemesis::NemesisOptions options;
    options.run_id = backend.run_id();
    options.agent = config.agent_binary;
    options.clock_dir = clock_dir;
    // The static membership declares a peer dead after `unreachable_after`
    // failed calls of up to peer_timeout_ms each: pauses are drawn around that.
    options.suspicion_timeout = std::chrono::milliseconds(
        std::max(500, node_config.value("peer_timeout_ms", 500) * node_config.value("unreachable_after", 2)));
    if (!config.nemesis_targets.empty()) options.targets = config.nemesis_targets;
    options.packet_mechanism = config.packet_mechanism;
    options.packet_kinds = config.packet_faults;
    options.local_processes = backend.local_processes();
    // Nodes on hosts of their own: clock faults step the hosts' clocks.
    options.clock_mode = backend.local_processes() ? "faketime" : "host";
    options.log = [this, &progress](const std::string& line) {
      this->log(line);
      std::lock_guard<std::mutex> lock(progress_mu_);
      if (!running_) progress << "  " << line << "\n" << std::flush;
    };
    std::vector<std::unique_ptr<nemesis::Fault>> faults;
    for (const auto& f : config.nemesis) faults.push_back(nemesis::make_fault(f, control_, options));
    schedule_ = std::make_unique<nemesis::Schedule>(
        std::move(faults), std::chrono::milliseconds(static_cast<long>(config.nemesis_interval_s * 1000)), config.seed,
        [this](const nemesis::FaultEvent& e) { record(e); }, options.log);
  }

  // Windows go to the history from here on.
  void start(history::HistoryWriter& writer) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      writer_ = &writer;
    }
    {
      std::lock_guard<std::mutex> lock(progress_mu_);
      running_ = true;
    }
    schedule_->start();
  }

  // Closes any open window and heals every fault. Idempotent.
  std::vector<std::string> heal() {
    if (healed_) return {};
    healed_ = true;
    std::vector<std::string> errors = schedule_->stop_and_heal();
    for (const auto& e : errors) log("heal: " + e);
    log("healed" + std::string(errors.empty() ? "" : " with " + std::to_string(errors.size()) + " errors") + " after " +
        std::to_string(schedule_->windows_opened()) + " windows");
    std::lock_guard<std::mutex> lock(mu_);
    writer_ = nullptr;
    return errors;
  }

  int windows() const { return schedule_->windows_opened(); }
  int start_failures() const { return schedule_->start_failures(); }
  std::string active() const {
    std::lock_guard<std::mutex> lock(mu_);
    return active_;
  }

 private:
  void record(const nemesis::FaultEvent& e) {
    std::string nodes;
    for (const auto& n : e.nodes) nodes += (nodes.empty() ? "" : ",") + n;
    log(std::string(e.start ? "start " : "stop ") + e.fault + " on " + nodes + " " + e.params.dump());
    std::lock_guard<std::mutex> lock(mu_);
    active_ = e.start ? e.fault + " on " + nodes : "";
    if (writer_ == nullptr) return;
    history::NemesisEvent ev;
    ev.time = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0_).count();
    ev.phase = e.start ? history::FaultPhase::kStart : history::FaultPhase::kStop;
    ev.fault = e.fault;
    ev.nodes = e.nodes;
    ev.params = e.params;
    writer_->append(ev);
  }

  void log(const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mu_);
    log_ << std::fixed << std::setprecision(3) << seconds_since(t0_) << " " << line << "\n" << std::flush;
  }

  BackendNodeControl control_;
  std::mutex log_mu_;
  std::ofstream log_;
  const Clock::time_point t0_;
  mutable std::mutex mu_;
  history::HistoryWriter* writer_ = nullptr;
  std::string active_;
  std::mutex progress_mu_;
  bool running_ = false;
  bool healed_ = false;
  std::unique_ptr<nemesis::Schedule> schedule_;
};

}  // namespace

std::string build_commit() { return FAULTLINE_GIT_COMMIT; }

int exit_code(const RunOutcome& outcome) {
  if (outcome.error) return 255;
  if (outcome.expect_given) return outcome.expect_unmet.empty() ? 0 : 1;
  return check::exit_code(outcome.verdict);
}

RunOutcome run_test(const RunConfig& config, std::ostream& progress) {
  const auto t0 = Clock::now();
  SignalScope signals;
  RunOutcome outcome;
  RunRecord rec;
  rec.id = random_token(6);
  outcome.run_id = rec.id;
  rec.test_name = config.workload + "-" + config.store_preset + "-" + join(config.nemesis, "+");
  rec.workload = config.workload;
  rec.preset = config.store_preset;
  rec.nemesis = join(config.nemesis, ",");
  rec.backend = config.backend;
  rec.commit = build_commit();
  rec.nodes = config.nodes;
  rec.seed = config.seed;
  rec.config = config.to_json();

  std::unique_ptr<RunStore> store;
  try {
    store = std::make_unique<RunStore>(config.out);
    outcome.dir = store->begin(rec);
  } catch (const std::exception& e) {
    outcome.error = true;
    outcome.message = e.what();
    return outcome;
  }
  const fs::path dir = outcome.dir;
  json timings = json::object();
  json results = {{"run_id", rec.id}, {"dir", rec.dir}};
  progress << "faultline run " << rec.id << ": " << config.nodes << " nodes (" << config.backend << "), workload "
           << config.workload << ", preset " << config.store_preset << ", nemesis " << rec.nemesis << ", seed "
           << config.seed << "\n  stored in " << dir.string() << "\n"
           << std::flush;

  workloads::Stats stats;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<history::HistoryWriter> writer;
  std::unique_ptr<workloads::Workload> workload;
  workloads::CheckPlan plan;
  std::unique_ptr<RunNemesis> run_nemesis;
  json nemesis_summary = json::object();
  bool interrupted = false;
  std::atomic<bool> stop{false};
  auto forward_signal = [&] {
    if (g_signalled.load() && !interrupted) {
      interrupted = true;
      stop.store(true);
      progress << "\n  interrupted by a signal: stopping the workload, healing faults, tearing down\n" << std::flush;
    }
  };
  try {
    json config_doc = config.to_json();
    config_doc["run_id"] = rec.id;
    config_doc["commit"] = rec.commit;
    config_doc["faultline_version"] = FAULTLINE_VERSION;
    config_doc["node_binary"] = config.node_binary.string();
    write_json(dir / "config.json", config_doc);

    BackendOptions backend_options{.run_id = rec.id, .state_dir = {}, .port = 7000, .ssh = {}, .tools = {}};
    std::vector<std::string> names;
    if (config.backend == "ssh") {
      backend_options.ssh.hosts = config.ssh_hosts;
      backend_options.ssh.user = config.ssh_user;
      backend_options.ssh.private_key = config.ssh_private_key;
      backend_options.ssh.port = config.ssh_port;
      backend_options.ssh.strict_host_key_checking = config.strict_host_key_checking;
      if (!config.agent_binary.empty()) backend_options.tools.push_back(config.agent_binary);
      for (const auto& h : config.ssh_hosts) names.push_back(h.name);
    } else {
      for (int i = 1; i <= config.nodes; ++i) names.push_back("n" + std::to_string(i));
    }
    backend = make_backend(config.backend, backend_options);
    const std::vector<NodeAddress> nodes = backend->create(names);
    const json store_opts = parse_store_opts(config.store_opts);
    json node_configs = json::object();
    const bool faults = config.nemesis != std::vector<std::string>{"none"};
    // Over ssh, clock faults step the hosts' own clocks instead.
    const bool clock_skew =
        std::count(config.nemesis.begin(), config.nemesis.end(), "clock") > 0 && backend->local_processes();
    // Clock skew: every node runs under libfaketime from the start, reading
    // its offset from a file in the run's scratch dir (removed with the run).
    const fs::path clock_dir = clock_skew ? backend->scratch_dir() / "clock" : fs::path();
    if (clock_skew) fs::create_directories(clock_dir);
    std::map<std::string, NodeSpec> specs;
    for (const auto& n : nodes) {
      const fs::path node_dir = dir / "nodes" / n.name;
      fs::create_directories(node_dir / "data");
      const json c =
          node_config(config.store_preset, store_opts, nodes, n, backend->node_data_dir(n.name, node_dir / "data"));
      write_json(node_dir / "node.json", c);
      node_configs[n.name] = c;
      NodeSpec spec{.name = n.name,
                    .argv = {config.node_binary.string(), "--config", (node_dir / "node.json").string()},
                    .env = {},
                    .data_dir = node_dir / "data",
                    .log_path = node_dir / "output.log"};
      if (clock_skew) {
        const fs::path file = nemesis::clock_file(clock_dir, n.name);
        if (auto st = nemesis::write_clock_offset(file, 0); !st) throw std::runtime_error(st.error);
        for (auto& [k, v] : nemesis::faketime_env(*nemesis::faketime_library(), file)) spec.env[k] = v;
      }
      backend->start(spec);
      specs[n.name] = spec;
    }
    config_doc["node_addresses"] = json::object();
    for (const auto& n : nodes) config_doc["node_addresses"][n.name] = n.address();
    write_json(dir / "config.json", config_doc);
    wait_ready(*backend, nodes, dir, t0 + std::chrono::milliseconds(static_cast<long>(config.ready_timeout_s * 1000)));
    timings["ready_s"] = seconds_since(t0);
    if (faults) {
      run_nemesis = std::make_unique<RunNemesis>(config, *backend, nodes, std::move(specs), clock_dir,
                                                 node_configs[nodes.front().name], dir, t0, progress);
    }

    workloads::WorkloadOptions wo;
    for (const auto& n : nodes) wo.nodes.push_back({n.name, n.address()});
    wo.seed = config.seed;
    wo.concurrency = config.concurrency;
    wo.rate = config.rate;
    wo.delete_fraction = config.delete_fraction;
    wo.ops_per_key = config.ops_per_key;
    wo.time_limit = std::chrono::milliseconds(static_cast<long>(config.time_limit_s * 1000));
    wo.op_timeout = std::chrono::milliseconds(static_cast<long>(config.op_timeout_s * 1000));
    wo.preset = config.store_preset;
    wo.origin = t0;
    workload = workloads::make_workload(config.workload, wo);
    plan = workload->check_plan();
    json meta = {{"model", plan.model},
                 {"workload", config.workload},
                 {"store_preset", config.store_preset},
                 {"seed", config.seed},
                 {"run_id", rec.id},
                 {"nodes", names},
                 // Where the history's clock began on CLOCK_MONOTONIC, so reports can place node log lines.
                 {"origin_mono_ns", std::chrono::duration_cast<std::chrono::nanoseconds>(t0.time_since_epoch()).count()},
                 {"check", {{"strict_stale", plan.strict_stale},
                            {"expected_anomalies", plan.expected_anomalies},
                            {"expected_for", plan.expected_for}}}};
    writer = std::make_unique<history::HistoryWriter>((dir / "history.jsonl").string(), meta);

    {
      Progress line(progress, Progress::is_terminal(progress), config.time_limit_s, stats, [&] {
        return run_nemesis ? run_nemesis->active() : std::string();
      });
      const auto main_start = Clock::now();
      if (run_nemesis) run_nemesis->start(*writer);
      // The workload stops itself at the time limit; past a generous grace
      // for in-flight operations the run is declared hung.
      const auto hard = main_start + wo.time_limit + 3 * wo.op_timeout + std::chrono::seconds(30);
      const bool finished = run_bounded([&] { workload->run(*writer, stop, stats); }, hard, forward_signal);
      if (!finished) {
        stop.store(true);
        throw StepTimeout("the workload did not stop within " +
                          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(hard - main_start).count()) +
                          " s of its start (time limit plus grace)");
      }
      timings["main_phase_s"] = seconds_since(main_start);
    }

    if (run_nemesis) {
      // Heal everything, then give the cluster the recovery time before the
      // final reads; a fault-free run does not wait.
      const auto heal_start = Clock::now();
      const std::vector<std::string> heal_errors = run_nemesis->heal();
      timings["heal_s"] = seconds_since(heal_start);
      nemesis_summary = {{"windows", run_nemesis->windows()},
                         {"start_failures", run_nemesis->start_failures()},
                         {"heal_errors", heal_errors}};
      if (!heal_errors.empty()) throw std::runtime_error("healing faults: " + heal_errors.front());
    }
    if (!interrupted) {
      if (faults && config.recovery_s > 0) {
        const auto until = Clock::now() + std::chrono::milliseconds(static_cast<long>(config.recovery_s * 1000));
        while (Clock::now() < until && !g_signalled.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      const auto final_start = Clock::now();
      const auto final_deadline = final_start + std::chrono::seconds(30) + 3 * wo.op_timeout;
      const bool finished = run_bounded([&] { workload->final_phase(*writer, stats, final_deadline); },
                                        final_deadline + std::chrono::seconds(10), forward_signal);
      if (!finished) throw StepTimeout("the final phase did not finish within its deadline");
      timings["final_phase_s"] = seconds_since(final_start);
    }
    writer->close();
  } catch (const StepTimeout& e) {
    outcome.error = true;
    outcome.message = e.what();
    // The hung thread may still use these; leak them rather than free them under it.
    if (writer) writer->flush();
    writer.release();
    workload.release();
  } catch (const std::exception& e) {
    outcome.error = true;
    outcome.message = e.what();
    if (g_signalled.load()) interrupted = true;
    if (writer) writer->close();
  }

  if (run_nemesis) {
    // Whatever went wrong above, no fault outlives the run: healed before
    // teardown (a frozen node would not even die).
    for (const auto& e : run_nemesis->heal()) {
      outcome.error = true;
      outcome.message += std::string(outcome.message.empty() ? "" : "; ") + "healing faults: " + e;
    }
    if (nemesis_summary.empty()) {
      nemesis_summary = {{"windows", run_nemesis->windows()}, {"start_failures", run_nemesis->start_failures()}};
    }
  }

  if (backend) {
    if (config.leave_running && !outcome.error) {
      progress << "  cluster left running (--leave-running); remove it with: faultline cleanup --run " << rec.id
               << "\n";
      backend.release();  // its destructor would tear the cluster down
    } else {
      const auto down = Clock::now();
      try {
        backend->teardown();
      } catch (const std::exception& e) {
        outcome.error = true;
        outcome.message += std::string(outcome.message.empty() ? "" : "; ") + "teardown: " + e.what();
      }
      timings["teardown_s"] = seconds_since(down);
    }
  }

  results["ops"] = {{"ok", stats.ok.load()}, {"fail", stats.fail.load()}, {"info", stats.info.load()}};
  // Final reads the deadline cut off: what they would have checked was not.
  if (stats.unread.load() > 0) results["final_phase_unread"] = stats.unread.load();
  rec.ops_ok = stats.ok.load();
  rec.ops_fail = stats.fail.load();
  rec.ops_info = stats.info.load();
  if (interrupted) results["interrupted"] = true;
  if (!nemesis_summary.empty()) results["nemesis"] = nemesis_summary;
  outcome.interrupted = interrupted;

  if (!outcome.error) {
    try {
      const auto check_start = Clock::now();
      history::LoadInfo info;
      const history::History h = history::load_history((dir / "history.jsonl").string(), history::Format::kJsonl, &info);
      if (!h.ops.empty()) {
        // Op times count from t0, the moment run_test began.
        timings["first_op_s"] = static_cast<double>(h.ops.front().time) / 1e9;
      }
      if (const auto fp = h.meta.find("final_phase"); fp != h.meta.end() && fp->contains("unread") &&
                                                       !(*fp)["unread"].empty())
        results["final_phase_unread_keys"] = (*fp)["unread"];
      check::CheckOptions options;
      options.strict_stale = plan.strict_stale;
      options.max_witnesses = config.max_witnesses;
      const check::Report report = check::check_history(h, plan.model, options);
      const check::Judgement j = check::judge(report, {plan.expected_for, plan.expected_anomalies});
      outcome.verdict = j.valid;
      outcome.expected = j.expected;
      outcome.headline = j.headline();
      results["model"] = plan.model;
      results["results"] = j.results;
      results["expected_anomalies"] = plan.expected_anomalies;
      results["expected"] = j.expected;
      if (j.expected) results["expected_for"] = j.expected_for;
      results["headline"] = j.headline();
      if (!config.expect.empty()) {
        outcome.expect_given = true;
        outcome.expect_unmet = check::expectation_unmet(j, config.expect);
        results["expect"] = check::expect_record(config.expect, outcome.expect_unmet);
      }
      // The closing lines: what was injected and what was checked.
      std::vector<std::pair<std::string, json>> starts;
      for (const auto& e : h.nemesis)
        if (e.phase == history::FaultPhase::kStart) starts.emplace_back(e.fault, e.params);
      const std::int64_t ops = stats.ok.load() + stats.fail.load() + stats.info.load();
      results["summary"] = {{"faults", nemesis::describe_windows(starts)},
                            {"checked", "checked " + with_thousands(ops) + " ops: " + j.findings()}};
      rec.anomalies = j.counts;
      rec.anomaly_count = j.anomaly_count;
      rec.expected = j.expected;
      timings["check_s"] = seconds_since(check_start);
    } catch (const std::exception& e) {
      outcome.error = true;
      outcome.message = std::string("checking the history: ") + e.what();
    }
  }
  if (interrupted && !outcome.error && outcome.verdict == check::Validity::kValid) {
    // What was recorded is valid, but the run did not do what was asked.
    outcome.verdict = check::Validity::kUnknown;
    outcome.headline = "unknown";
    results["headline"] = outcome.headline;
    results["note"] = "interrupted by a signal; the recorded prefix was checked";
  }
  rec.verdict = outcome.error ? "error" : verdict_name(outcome.verdict);
  rec.error = outcome.message;
  rec.duration_s = seconds_since(t0);
  timings["total_s"] = rec.duration_s;
  results["verdict"] = rec.verdict;
  results["anomalies"] = rec.anomalies;
  results["timings"] = timings;
  if (outcome.error) results["error"] = outcome.message;
  try {
    write_json(dir / "results.json", results);
    store->finish(rec);
  } catch (const std::exception& e) {
    outcome.error = true;
    outcome.message += std::string(outcome.message.empty() ? "" : "; ") + "storing the run: " + e.what();
  }
  if (results.contains("summary")) {
    progress << "  " << results["summary"]["faults"].get<std::string>() << "\n"
             << "  " << results["summary"]["checked"].get<std::string>() << "\n";
  }
  write_reports_after_run(*store, dir, progress);  // report.html and store/index.html (issue 8)
  return outcome;
}

}  // namespace faultline::harness
