// The Checker seam: history in, verdict out.
//
// Every checker returns `valid` true / false / unknown plus anomalies, and
// each anomaly names the minimal set of operations (by history index) that
// witness it, so reports can draw exactly those.
#ifndef FAULTLINE_CHECKER_CHECKER_H_
#define FAULTLINE_CHECKER_CHECKER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "faultline/history/event.h"

namespace faultline::check {

using history::Json;

enum class Validity { kValid, kInvalid, kUnknown };

// JSON form: true, false, "unknown".
Json validity_to_json(Validity v);
// The worse of two verdicts: invalid beats unknown beats valid.
Validity worst(Validity a, Validity b);
// faultline's exit code for a verdict: 0 valid, 1 invalid, 2 unknown.
int exit_code(Validity v);

struct Anomaly {
  std::string kind;                  // "lost", "stale-read", "nonlinearizable", ...
  std::string description;           // one sentence a person can read
  std::vector<std::int64_t> witness; // history indices of the witness events
  Json details = Json::object();     // kind-specific fields
};

struct Result {
  std::string checker;               // "set-full", "linearizable", ...
  Validity valid = Validity::kUnknown;
  std::vector<Anomaly> anomalies;    // listed ones, capped (see counts)
  std::map<std::string, std::int64_t> counts;  // kind -> every one found
  Json details = Json::object();     // quantiles, timings, ...

  // Counts `n` more of `kind` (listed or not).
  void count(const std::string& kind, std::int64_t n = 1) { counts[kind] += n; }
};

// {"checker":..., "valid":..., "counts":{kind: n}, "anomalies":[...], ...details}

Json to_json(const Result& result);

class Checker {
 public:
  virtual ~Checker() = default;
  virtual std::string name() const = 0;
  virtual Result check(const history::History& history) = 0;
};

}  // namespace faultline::check

#endif  // FAULTLINE_CHECKER_CHECKER_H_
