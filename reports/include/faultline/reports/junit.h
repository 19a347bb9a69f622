// JUnit XML for CI systems: one <testcase> per run, failing with a message
// naming the anomalies, so any CI shows a faultline run natively.
#ifndef FAULTLINE_REPORTS_JUNIT_H_
#define FAULTLINE_REPORTS_JUNIT_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline::reports {

struct JunitCase {
  std::string name;       // the test name, e.g. "register-safe-partition"
  std::string classname;  // "faultline"
  std::string run_id, dir, report;  // where to look; report: path of report.html
  std::string verdict;    // valid / invalid / unknown / error
  std::string error;      // why a run ended in error
  std::string headline;   // "INVALID — expected for r1w1: stale reads", ...
  nlohmann::json anomalies = nlohmann::json::object();  // kind -> count (every one found)
  // --expect K1,K2: the case passes exactly when the expectation was met.
  bool expect_given = false, expect_met = false;
  std::string expect, expect_why;
  std::string replay;     // the command that replays the run
  double time_s = 0;
};

// valid: passes; invalid: <failure> with the headline and each anomaly kind
// and count (an invalid run expected for its preset still fails: its verdict
// is invalid); error: <error> with the reason; unknown: <error
// type="unknown"> (an unknown verdict is not a pass). With --expect, the case
// passes when the expectation was met and fails otherwise.
std::string junit_xml(const std::vector<JunitCase>& cases, const std::string& suite = "faultline");

}  // namespace faultline::reports

#endif  // FAULTLINE_REPORTS_JUNIT_H_
