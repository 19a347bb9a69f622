// `faultline check`: load histories in any supported format and judge them.
// One JSON document per file on stdout, a one-line summary per file on
// stderr; the exit code is the worst verdict (254 for unreadable input).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "faultline/checker/judge.h"
#include "faultline/checker/load.h"
#include "faultline/checker/pairing.h"
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
  check::CheckOptions options;
};

// The exit code of one file, and prints its document and summary.
int check_one(const CheckArgs& args, const std::string& path) {
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
    std::cout << Json{{"file", file}, {"valid", "unknown"}, {"error", e.what()}}.dump() << "\n";
    std::cerr << "faultline check: " << e.what() << "\n";
    return kExitUsage;
  }
  Json doc = {{"file", file}, {"events", h.ops.size()}, {"operations", operations.size()},
              {"nemesis_events", h.nemesis.size()}};
  if (args.parse_only) {
    doc["load_seconds"] = seconds();
    std::cout << doc.dump() << "\n";
    std::cerr << file << ": parsed " << operations.size() << " operations (" << h.ops.size() << " events, "
              << h.nemesis.size() << " nemesis events)\n";
    return kExitValid;
  }
  std::string model = args.model;
  if (model.empty() && h.meta.contains("model") && h.meta["model"].is_string()) model = h.meta["model"];
  if (model.empty()) {
    std::cerr << "faultline check: " << file << ": no model: pass --model (one of";
    for (const auto& m : check::known_models()) std::cerr << " " << m;
    std::cerr << ") or record meta.model in the history\n";
    return kExitUsage;
  }
  // A history the harness wrote says which anomalies its store preset is
  // documented to show (meta.check), so a re-check labels them as the run did.
  check::CheckOptions options = args.options;
  check::Expectation expectation;
  if (const Json* c = h.meta.contains("check") ? &h.meta["check"] : nullptr; c && c->is_object()) {
    if (c->value("strict_stale", false) == true) options.strict_stale = true;
    // "allowed_anomalies": histories recorded before the verdict became the model's.
    for (const char* field : {"expected_anomalies", "allowed_anomalies"}) {
      if (c->contains(field) && (*c)[field].is_array())
        for (const auto& k : (*c)[field])
          if (k.is_string() && !expectation.expects(k.get<std::string>())) expectation.kinds.push_back(k.get<std::string>());
    }
    if (c->contains("expected_for") && (*c)["expected_for"].is_string()) expectation.label = (*c)["expected_for"];
  }
  if (expectation.label.empty() && h.meta.contains("store_preset") && h.meta["store_preset"].is_string())
    expectation.label = h.meta["store_preset"];
  // Jepsen's semantics unless asked: a failed cas constrains nothing. Asked,
  // the history is mapped into explicit observations before any checker.
  if (args.failed_cas == "observe") doc["failed_cas_observed"] = history::observe_failed_cas(h);
  check::Report report;
  try {
    report = check::check_history(h, model, options);
  } catch (const std::invalid_argument& e) {
    std::cerr << "faultline check: " << e.what() << "\n";
    return kExitUsage;
  }
  const check::Judgement judgement = check::judge(report, expectation);
  doc["model"] = model;
  doc.update(judgement.summary());  // valid, headline, counts, expected
  if (!expectation.kinds.empty()) doc["expected_anomalies"] = expectation.kinds;
  doc["results"] = judgement.results;
  std::string unmet;
  if (!args.expect.empty()) {
    unmet = check::expectation_unmet(judgement, args.expect);
    doc["expect"] = check::expect_record(args.expect, unmet);
  }
  doc["seconds"] = seconds();
  std::cout << doc.dump() << "\n";
  std::string line = file + ": " + judgement.headline() + " (" + model + ", " + std::to_string(operations.size()) +
                     " operations, " + std::to_string(judgement.anomaly_count) + " anomalies";
  for (const auto& [kind, n] : judgement.counts) line += (kind == judgement.counts.begin()->first ? ": " : ", ") + std::to_string(n) + " " + kind;
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f", doc["seconds"].get<double>());
  line += std::string(", ") + secs + " s)";
  if (!args.expect.empty()) line += unmet.empty() ? "; --expect met" : "; --expect not met: " + unmet;
  std::cerr << line << "\n";
  if (!args.expect.empty()) return unmet.empty() ? kExitValid : kExitInvalid;
  return check::exit_code(judgement.valid);
}

int rank(int code) {  // worst first: usage > invalid > unknown > valid
  switch (code) {
    case kExitUsage: return 3;
    case kExitInvalid: return 2;
    case kExitUnknown: return 1;
    default: return 0;
  }
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
  cmd->callback([args, exit_code] {
    int worst = kExitValid;
    for (const auto& file : args->files) {
      int code = check_one(*args, file);
      if (rank(code) > rank(worst)) worst = code;
    }
    *exit_code = worst;
  });
}

}  // namespace faultline::cli
