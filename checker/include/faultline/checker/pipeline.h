// The check pipeline, one function for `faultline run` (its check step) and
// `faultline check`: a loaded history, the model and expectation it is judged
// by, the checkers, the judge, and an --expect. A run passes what its check
// plan says; `faultline check` lets the history's meta say it (meta.model,
// meta.check, meta.store_preset: what the run recorded), so a re-check of a
// stored run judges it as the run did.
#ifndef FAULTLINE_CHECKER_PIPELINE_H_
#define FAULTLINE_CHECKER_PIPELINE_H_

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "faultline/checker/judge.h"
#include "faultline/checker/registry.h"
#include "faultline/history/event.h"

namespace faultline::check {

struct CheckRequest {
  std::string model;  // empty: the history's meta.model
  CheckOptions options;
  // nullopt: from the history's meta.check (expected_anomalies, strict_stale,
  // expected_for) and meta.store_preset, as `faultline check` reads it.
  std::optional<Expectation> expectation;
  std::vector<std::string> expect;  // --expect kinds; empty: not asked
};

struct CheckOutcome {
  std::string model;
  Expectation expectation;
  Judgement judgement;
  std::string expect_unmet;  // "" when met or not asked
  // When the first listed anomaly became visible: the earliest time (ns,
  // the history's clock) by which every event of one anomaly's witness had
  // happened. Over the listed anomalies only (--max-witnesses per kind), so
  // with more found than listed it may be later than the true first.
  std::optional<std::int64_t> first_anomaly_ns;
  int exit_code() const;     // the verdict's, or with --expect whether it was met
  bool expect_given = false;
};

// No model given and none in the history's meta; what() says how to give one.
struct NoModelError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Throws NoModelError, or std::invalid_argument for a model no checker knows.
CheckOutcome check_and_judge(const history::History& history, CheckRequest request);

}  // namespace faultline::check

#endif  // FAULTLINE_CHECKER_PIPELINE_H_
