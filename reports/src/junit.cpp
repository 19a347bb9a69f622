#include "faultline/reports/junit.h"

#include <cstdio>
#include <sstream>

#include "faultline/reports/text_format.h"

namespace faultline::reports {
namespace {

std::string anomaly_list(const nlohmann::json& anomalies) {
  std::string out;
  if (!anomalies.is_object()) return out;
  for (auto it = anomalies.begin(); it != anomalies.end(); ++it)
    out += (out.empty() ? "" : ", ") + it.value().dump() + " " + it.key();
  return out;
}

// What a case ends as: "pass", "failure" or "error", and the message.
std::pair<std::string, std::string> outcome(const JunitCase& c) {
  if (c.verdict == "error") return {"error", c.error};
  const std::string list = anomaly_list(c.anomalies);
  const std::string found = list.empty() ? std::string("no anomaly") : list;
  if (c.expect_given) {
    if (c.expect_met) return {"pass", ""};
    return {"failure", "--expect " + c.expect + " not met: " + c.expect_why + " (found: " + found + ")"};
  }
  if (c.verdict == "valid") return {"pass", ""};
  if (c.verdict == "invalid") {
    const std::string head = c.headline.empty() ? std::string("invalid") : c.headline;
    return {"failure", head + ": " + (list.empty() ? std::string("the checkers found anomalies") : list)};
  }
  return {"error", "verdict " + c.verdict + ": the checkers could not decide"};
}

}  // namespace

std::string junit_xml(const std::vector<JunitCase>& cases, const std::string& suite) {
  int failures = 0, errors = 0;
  double total = 0;
  for (const auto& c : cases) {
    const std::string kind = outcome(c).first;
    failures += kind == "failure";
    errors += kind == "error";
    total += c.time_s;
  }
  std::ostringstream o;
  char buf[64];
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  std::snprintf(buf, sizeof buf, "%.3f", total);
  o << "<testsuites>\n<testsuite name=\"" << xml_escape(suite) << "\" tests=\"" << cases.size() << "\" failures=\""
    << failures << "\" errors=\"" << errors << "\" time=\"" << buf << "\">\n";
  for (const auto& c : cases) {
    std::snprintf(buf, sizeof buf, "%.3f", c.time_s);
    o << "  <testcase classname=\"" << xml_escape(c.classname.empty() ? "faultline" : c.classname) << "\" name=\""
      << xml_escape(c.name) << "\" time=\"" << buf << "\">\n";
    const std::string where = "run " + c.run_id + " in " + c.dir + (c.report.empty() ? "" : "; report " + c.report) +
                              (c.replay.empty() ? "" : "; replay: " + c.replay);
    const auto [kind, message] = outcome(c);
    if (kind == "failure") {
      const std::string type = c.expect_given ? "expectation" : "invalid";
      o << "    <failure type=\"" << type << "\" message=\"" << xml_escape(message) << "\">"
        << xml_escape(message + "\n" + where) << "</failure>\n";
    } else if (kind == "error") {
      const std::string type = c.verdict == "error" ? "error" : "unknown";
      o << "    <error type=\"" << type << "\" message=\"" << xml_escape(message) << "\">"
        << xml_escape(message + "\n" + where) << "</error>\n";
    }
    o << "    <system-out>" << xml_escape(where) << "</system-out>\n  </testcase>\n";
  }
  o << "</testsuite>\n</testsuites>\n";
  return o.str();
}

}  // namespace faultline::reports
