// `faultline check`: load histories in any supported format and judge them.
// One JSON document per file on stdout, a one-line summary per file on
// stderr; the exit code is the worst verdict (254 for unreadable input).
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "faultline/checker/load.h"
#include "faultline/checker/pairing.h"
#include "faultline/checker/registry.h"
#include "faultline/harness/cli.h"
#include "verdict.h"

namespace faultline::cli {
namespace {

using history::Json;

struct CheckArgs {
  std::vector<std::string> files;
  std::string model;
  std::string format = "auto";
  bool parse_only = false;
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
  // A history the harness wrote says which guarantees its store preset
  // promises (meta.check), so a re-check judges it as the run did.
  check::CheckOptions options = args.options;
  std::vector<std::string> allowed;
  if (const Json* c = h.meta.contains("check") ? &h.meta["check"] : nullptr; c && c->is_object()) {
    if (c->value("strict_stale", false) == true) options.strict_stale = true;
    if (c->contains("allowed_anomalies") && (*c)["allowed_anomalies"].is_array()) {
      for (const auto& k : (*c)["allowed_anomalies"])
        if (k.is_string()) allowed.push_back(k.get<std::string>());
    }
  }
  check::Report report;
  try {
    report = check::check_history(h, model, options);
  } catch (const std::invalid_argument& e) {
    std::cerr << "faultline check: " << e.what() << "\n";
    return kExitUsage;
  }
  const harness::Judgement judgement = harness::judge(report, allowed);
  report.valid = judgement.valid;
  doc["model"] = model;
  doc["valid"] = check::validity_to_json(report.valid);
  doc["results"] = judgement.results;
  if (!allowed.empty()) doc["allowed_anomalies"] = allowed;
  const auto anomalies = judgement.anomaly_count;
  doc["seconds"] = seconds();
  std::cout << doc.dump() << "\n";
  std::cerr << file << ": " << (report.valid == check::Validity::kValid     ? "valid"
                                : report.valid == check::Validity::kInvalid ? "INVALID"
                                                                            : "unknown")
            << " (" << model << ", " << operations.size() << " operations, " << anomalies << " anomalies, "
            << doc["seconds"].get<double>() << " s)\n";
  return check::exit_code(report.valid);
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
