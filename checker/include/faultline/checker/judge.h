// The verdict of a whole check, and how it is labelled for the reader.
//
// The verdict is the model's: a history that violates the model is invalid,
// whatever configuration produced it. A configuration may be documented to
// show some anomaly kinds (a weak store preset's stale reads); those are
// labelled *expected* — in the headline, in each anomaly, in results.json —
// but never turn invalid into valid. A user who wants "this run caught what
// it should" asks for it explicitly with expected kinds (`--expect`).
#ifndef FAULTLINE_CHECKER_JUDGE_H_
#define FAULTLINE_CHECKER_JUDGE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "faultline/checker/checker.h"
#include "faultline/checker/registry.h"

namespace faultline::check {

// What a configuration is documented to show (empty kinds: nothing).
struct Expectation {
  std::string label;               // who documents it, e.g. the preset "r1w1"
  std::vector<std::string> kinds;  // anomaly kinds, e.g. {"stale-read", "nonlinearizable"}
  bool expects(const std::string& kind) const;
};

struct Judgement {
  Validity valid = Validity::kUnknown;         // the model's verdict: the worst checker's
  std::map<std::string, std::int64_t> counts;  // kind -> every anomaly found, all checkers
  std::int64_t anomaly_count = 0;
  // Invalid, and every kind found is one the expectation documents.
  bool expected = false;
  std::string expected_for;                    // the expectation's label when `expected`
  // One per checker: to_json(result), each listed anomaly with "expected".
  Json results = Json::array();

  // "valid", "unknown", "INVALID" or "INVALID — expected for r1w1: stale
  // reads, nonlinearizable": what a person reads first.
  std::string headline() const;
  // {"valid":..., "counts":..., "expected":..., "expected_for":..., "headline":...}
  Json summary() const;
  // What each checker concluded, in words: "linearizable, no stale read",
  // "not linearizable (1 key), 12 stale reads", "linearizability unknown".
  std::string findings() const;
};

Judgement judge(const Report& report, const Expectation& expectation = {});

// What `--expect K1,K2` asks: at least one anomaly found, and every kind
// found among K1, K2 (as the nightly's caught:K1|K2, but nothing else may
// show). Returns "" when met, else a sentence saying what differed.
std::string expectation_unmet(const Judgement& judgement, const std::vector<std::string>& kinds);
// How results.json and `faultline check` record an --expect:
// {"kinds": [...], "met": bool, "why": unmet (only when not met)}.
Json expect_record(const std::vector<std::string>& kinds, const std::string& unmet);

// Every anomaly kind a checker can report, for validating --expect.
const std::vector<std::string>& known_anomaly_kinds();

}  // namespace faultline::check

#endif  // FAULTLINE_CHECKER_JUDGE_H_
