// Which checkers a model gets, and checking a whole history in one call.
//
// Models: set, register, cas-register, kv, kv-map, counter. A history written
// by the harness names its model in meta["model"]; a flag overrides it.
#ifndef FAULTLINE_CHECKER_REGISTRY_H_
#define FAULTLINE_CHECKER_REGISTRY_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "faultline/checker/checker.h"

namespace faultline::check {

struct CheckOptions {
  bool strict_stale = false;        // set-full: stale reads make the history invalid
  double time_limit_seconds = 300;  // linearizability search budget, per history
  std::size_t memory_limit_mb = 4096;
  unsigned threads = 0;             // 0 = one per core
  // Anomalies listed with witnesses, per kind and checker; every one is
  // counted regardless (Result::counts).
  std::size_t max_witnesses = 10;
};

const std::vector<std::string>& known_models();

// The checkers that judge `model`. Throws std::invalid_argument naming the
// model and the known ones when it is unknown.
std::vector<std::unique_ptr<Checker>> checkers_for_model(const std::string& model, const CheckOptions& options);

struct Report {
  Validity valid = Validity::kUnknown;
  std::vector<Result> results;
};

// Runs every checker of `model` over `history`, plus the final-reads checker
// when its meta names keys the final phase left unread; the verdict is the
// worst.
Report check_history(const history::History& history, const std::string& model, const CheckOptions& options);

}  // namespace faultline::check

#endif  // FAULTLINE_CHECKER_REGISTRY_H_
