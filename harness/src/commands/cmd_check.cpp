// `faultline check`: load histories in any supported format and judge them.
// One JSON document per file on stdout, a one-line summary per file on
// stderr, in the order given; the exit code is the worst verdict (254 for
// unreadable input). Files are checked in parallel (--jobs), each with its
// own search budgets, so a verdict never depends on what else was checked.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "commands/commands.h"
#include "faultline/checker/judge.h"
#include "faultline/checker/pipeline.h"
#include "faultline/history/load.h"
#include "faultline/history/pairing.h"
#include "faultline/checker/registry.h"
#include "faultline/harness/cli.h"

namespace faultline::cli {
namespace {

using history::Json;

struct CheckArgs {
  std::vector<std::string> files;
  std::string model;
  std::string format = "auto";
  bool parse_only = false;
  std::string failed_cas = "ignore";
  std::vector<std::string> expect;
  unsigned jobs = 0;
  check::CheckOptions options;
};

// The exit code of one file; its document goes to `out`, its summary to `err`.
int check_one(const CheckArgs& args, const std::string& path, std::ostream& out, std::ostream& err) {
  // A run directory stands for its history.
  const std::string file =
      std::filesystem::is_directory(path) ? (std::filesystem::path(path) / "history.jsonl").string() : path;
  const auto started = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  history::History h;
  std::vector<history::Operation> operations;
  try {
    h = history::load_history(file, *history::parse_format(args.format));
    operations = history::pair_operations(h, file);
  } catch (const history::HistoryError& e) {
    out << Json{{"file", file}, {"valid", "unknown"}, {"error", e.what()}}.dump() << "\n";
    err << "faultline check: " << e.what() << "\n";
    return kExitUsage;
  }
  Json doc = {{"file", file}, {"events", h.ops.size()}, {"operations", operations.size()},
              {"nemesis_events", h.nemesis.size()}};
  if (args.parse_only) {
    doc["load_seconds"] = seconds();
    out << doc.dump() << "\n";
    err << file << ": parsed " << operations.size() << " operations (" << h.ops.size() << " events, "
              << h.nemesis.size() << " nemesis events)\n";
    return kExitValid;
  }
  // Jepsen's semantics unless asked: a failed cas constrains nothing. Asked,
  // the history is mapped into explicit observations before any checker.
  if (args.failed_cas == "observe") doc["failed_cas_observed"] = history::observe_failed_cas(h);
  // Model and expectation from the history's meta unless given: a history
  // the harness wrote is judged as its run judged it.
  check::CheckOutcome checked;
  try {
    checked = check::check_and_judge(h, {args.model, args.options, std::nullopt, args.expect});
  } catch (const check::NoModelError& e) {
    err << "faultline check: " << file << ": " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::invalid_argument& e) {
    err << "faultline check: " << e.what() << "\n";
    return kExitUsage;
  }
  const check::Judgement& judgement = checked.judgement;
  const std::string& model = checked.model;
  doc["model"] = model;
  doc.update(judgement.summary());  // valid, headline, counts, expected
  if (!checked.expectation.kinds.empty()) doc["expected_anomalies"] = checked.expectation.kinds;
  doc["results"] = judgement.results;
  if (checked.first_anomaly_ns) doc["first_anomaly_s"] = static_cast<double>(*checked.first_anomaly_ns) / 1e9;
  const std::string& unmet = checked.expect_unmet;
  if (checked.expect_given) doc["expect"] = check::expect_record(args.expect, unmet);
  doc["seconds"] = seconds();
  out << doc.dump() << "\n";
  std::string line = file + ": " + judgement.headline() + " (" + model + ", " + std::to_string(operations.size()) +
                     " operations, " + std::to_string(judgement.anomaly_count) + " anomalies";
  for (const auto& [kind, n] : judgement.counts) line += (kind == judgement.counts.begin()->first ? ": " : ", ") + std::to_string(n) + " " + kind;
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f", doc["seconds"].get<double>());
  line += std::string(", ") + secs + " s)";
  if (!args.expect.empty()) line += unmet.empty() ? "; --expect met" : "; --expect not met: " + unmet;
  err << line << "\n";
  return checked.exit_code();
}

// Checks every file, `jobs` at a time, and prints each file's output as
// soon as every file before it has been printed. Returns the worst code.
int check_files(const CheckArgs& args) {
  const std::size_t n = args.files.size();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const auto jobs = static_cast<unsigned>(std::min<std::size_t>(n, args.jobs == 0 ? cores : args.jobs));
  CheckArgs per_file = args;
  // Key threads share the cores with the other files' workers.
  if (jobs > 1 && per_file.options.threads == 0) per_file.options.threads = std::max(1u, cores / jobs);
  struct Done {
    std::string out, err;
    int code = kExitValid;
    bool ready = false;
  };
  std::vector<Done> done(n);
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < n;) {
      std::ostringstream out, err;
      const int code = check_one(per_file, args.files[i], out, err);
      std::lock_guard<std::mutex> lock(mu);
      done[i] = Done{out.str(), err.str(), code, true};
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < jobs; ++t) pool.emplace_back(worker);
  int worst = kExitValid;
  std::thread printer([&] {
    for (std::size_t i = 0; i < n; ++i) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return done[i].ready; });
      Done d = std::move(done[i]);
      lock.unlock();
      std::cout << d.out << std::flush;
      std::cerr << d.err << std::flush;
      worst = worse_exit_code(worst, d.code);
    }
  });
  worker();  // this thread is a worker too
  for (auto& t : pool) t.join();
  printer.join();
  return worst;
}

}  // namespace

void add_check_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<CheckArgs>();
  auto* cmd = app.add_subcommand("check", "Check histories for lost writes, stale reads, linearizability");
  cmd->add_option("files", args->files,
                  "History files (JSON Lines, Jepsen EDN, Jepsen text log) or run directories (their history.jsonl)")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("--model", args->model, "What the history is checked against (default: the history's meta.model)")
      ->check(CLI::IsMember(check::known_models()));
  cmd->add_option("--format", args->format, "Input format")
      ->check(CLI::IsMember({"auto", "jsonl", "edn", "jepsen-log"}))
      ->capture_default_str();
  cmd->add_flag("--parse-only", args->parse_only, "Only load and pair the events; print counts");
  cmd->add_option("--failed-cas", args->failed_cas,
                  "What a `fail` cas means: ignore (Jepsen: it did not happen, constrains nothing) or observe (it "
                  "compared and found another value)")
      ->check(CLI::IsMember({"ignore", "observe"}))
      ->capture_default_str();
  cmd->add_option("--expect", args->expect,
                  "Anomaly kinds the history should show: exit 0 when at least one anomaly was found and all were of "
                  "these kinds, 1 otherwise")
      ->delimiter(',')
      ->check(CLI::IsMember(check::known_anomaly_kinds()));
  cmd->add_option("--max-witnesses", args->options.max_witnesses,
                  "Anomalies listed with witnesses per kind and checker (all are counted)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  cmd->add_flag("--strict-stale", args->options.strict_stale,
                "Stale reads make a set history invalid (strict-quorum configurations promise none)");
  cmd->add_option("--time-limit", args->options.time_limit_seconds,
                  "Linearizability search budget in seconds per history; past it the verdict is unknown")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--memory-limit", args->options.memory_limit_mb,
                  "Linearizability search memory budget in MiB; past it the verdict is unknown")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--threads", args->options.threads, "Threads for independent keys (0 = one per core)")
      ->capture_default_str();
  cmd->add_option("--jobs,-j", args->jobs,
                  "Files checked at once (0 = one per core); each keeps its own time and memory budget")
      ->capture_default_str();
  cmd->callback([args, exit_code] { *exit_code = check_files(*args); });
}

}  // namespace faultline::cli
