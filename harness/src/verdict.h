// Turning checker reports into a run's verdict, shared by `faultline run` and
// `faultline check RUN_DIR` so both say the same thing about one history.
#ifndef FAULTLINE_HARNESS_VERDICT_H_
#define FAULTLINE_HARNESS_VERDICT_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/checker/registry.h"

namespace faultline::harness {

struct Judgement {
  check::Validity valid = check::Validity::kUnknown;
  nlohmann::json anomalies = nlohmann::json::object();  // kind -> count (allowed ones included)
  std::int64_t anomaly_count = 0;
  nlohmann::json results = nlohmann::json::array();     // one per checker, to_json plus "allowed"
};

// An invalid checker result whose every anomaly is of a kind the store's
// preset is documented to allow (e.g. stale reads under r1w1) counts as
// valid; its anomalies are still listed, each marked allowed.
Judgement judge(const check::Report& report, const std::vector<std::string>& allowed_kinds);

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_VERDICT_H_
