#include "faultline/checker/registry.h"

#include <stdexcept>

#include "counter.h"
#include "final_reads.h"
#include "linearizability/linearizability.h"
#include "register_stale.h"
#include "set_full.h"

namespace faultline::check {

const std::vector<std::string>& known_models() {
  static const std::vector<std::string> models = {"set", "register", "cas-register", "kv", "kv-map", "counter"};
  return models;
}

namespace {

std::unique_ptr<Checker> linearizable(LinModel model, const CheckOptions& options) {
  LinearizabilityOptions lin;
  lin.model = model;
  lin.time_budget_seconds = options.time_limit_seconds;
  lin.memory_budget_bytes = options.memory_limit_mb << 20;
  lin.threads = options.threads;
  lin.max_reported = options.max_witnesses;
  return std::make_unique<LinearizabilityChecker>(lin);
}

}  // namespace

std::vector<std::unique_ptr<Checker>> checkers_for_model(const std::string& model, const CheckOptions& options) {
  std::vector<std::unique_ptr<Checker>> out;
  if (model == "set") {
    SetFullOptions set;
    set.strict = options.strict_stale;
    set.max_reported = options.max_witnesses;
    out.push_back(std::make_unique<SetFullChecker>(set));
  } else if (model == "register") {
    // The stale-read checker names the exact anomaly a user asks about; the
    // linearizability checker is the complete judgement.
    RegisterStaleOptions stale;
    stale.max_reported = options.max_witnesses;
    out.push_back(std::make_unique<RegisterStaleChecker>(stale));
    out.push_back(linearizable(LinModel::kRegister, options));
  } else if (model == "cas-register") {
    out.push_back(linearizable(LinModel::kCasRegister, options));
  } else if (model == "kv") {
    out.push_back(linearizable(LinModel::kKv, options));
  } else if (model == "kv-map") {
    out.push_back(linearizable(LinModel::kKvMap, options));
  } else if (model == "counter") {
    CounterOptions counter;
    counter.max_reported = options.max_witnesses;
    out.push_back(std::make_unique<CounterChecker>(counter));
  } else {
    std::string known;
    for (const auto& m : known_models()) known += (known.empty() ? "" : ", ") + m;
    throw std::invalid_argument("unknown model \"" + model + "\" (known: " + known + ")");
  }
  return out;
}

Report check_history(const history::History& history, const std::string& model, const CheckOptions& options) {
  Report report;
  report.valid = Validity::kValid;
  auto checkers = checkers_for_model(model, options);
  if (has_unread_keys(history)) checkers.push_back(std::make_unique<FinalReadsChecker>());
  for (auto& checker : checkers) {
    report.results.push_back(checker->check(history));
    report.valid = worst(report.valid, report.results.back().valid);
  }
  return report;
}

}  // namespace faultline::check
