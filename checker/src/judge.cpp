#include "faultline/checker/judge.h"

#include <algorithm>

namespace faultline::check {

bool Expectation::expects(const std::string& kind) const {
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

const std::vector<std::string>& known_anomaly_kinds() {
  static const std::vector<std::string> kinds = {"stale-read", "impossible-read", "nonlinearizable", "lost",
                                                 "stale",      "duplicated",      "unexpected",      "too-low",
                                                 "too-high"};
  return kinds;
}

namespace {

// "stale reads" for "stale-read", "lost writes" for "lost", ...
std::string kind_phrase(const std::string& kind) {
  if (kind == "stale-read") return "stale reads";
  if (kind == "impossible-read") return "impossible reads";
  if (kind == "nonlinearizable") return "nonlinearizable";
  if (kind == "lost") return "lost writes";
  if (kind == "stale") return "stale set reads";
  if (kind == "duplicated") return "duplicated elements";
  if (kind == "unexpected") return "unexpected elements";
  if (kind == "too-low") return "counter too low";
  if (kind == "too-high") return "counter too high";
  return kind;
}

}  // namespace

Judgement judge(const Report& report, const Expectation& expectation) {
  Judgement j;
  j.valid = report.results.empty() ? Validity::kUnknown : Validity::kValid;
  for (const Result& r : report.results) {
    j.valid = worst(j.valid, r.valid);
    // A checker that lists anomalies without counting them still counts.
    std::map<std::string, std::int64_t> counts = r.counts;
    if (counts.empty())
      for (const Anomaly& a : r.anomalies) ++counts[a.kind];
    for (const auto& [kind, n] : counts) {
      j.counts[kind] += n;
      j.anomaly_count += n;
    }
    Json doc = to_json(r);
    doc["counts"] = counts;
    for (auto& a : doc["anomalies"]) a["expected"] = expectation.expects(a["kind"].get<std::string>());
    j.results.push_back(std::move(doc));
  }
  if (j.valid == Validity::kInvalid && !j.counts.empty()) {
    j.expected = std::all_of(j.counts.begin(), j.counts.end(),
                             [&](const auto& kv) { return expectation.expects(kv.first); });
    if (j.expected) j.expected_for = expectation.label;
  }
  return j;
}

std::string Judgement::headline() const {
  switch (valid) {
    case Validity::kValid: return "valid";
    case Validity::kUnknown: return "unknown";
    case Validity::kInvalid: break;
  }
  if (!expected) return "INVALID";
  std::string kinds;
  for (const auto& [kind, n] : counts) kinds += (kinds.empty() ? "" : ", ") + kind_phrase(kind);
  return "INVALID \u2014 expected for " + (expected_for.empty() ? std::string("this configuration") : expected_for) +
         ": " + kinds;
}

Json Judgement::summary() const {
  Json s = {{"valid", validity_to_json(valid)}, {"counts", counts}, {"anomaly_count", anomaly_count},
            {"expected", expected}, {"headline", headline()}};
  if (expected) s["expected_for"] = expected_for;
  return s;
}

std::string expectation_unmet(const Judgement& judgement, const std::vector<std::string>& kinds) {
  std::vector<std::string> extra;
  for (const auto& [k, n] : judgement.counts)
    if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) extra.push_back(k);
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& k : v) s += (s.empty() ? "" : ", ") + k;
    return s;
  };
  if (!extra.empty()) return "found anomalies not expected: " + list(extra);
  if (judgement.counts.empty()) return "expected " + list(kinds) + " but found no anomaly";
  return "";
}

Json expect_record(const std::vector<std::string>& kinds, const std::string& unmet) {
  Json r = {{"kinds", kinds}, {"met", unmet.empty()}};
  if (!unmet.empty()) r["why"] = unmet;
  return r;
}

}  // namespace faultline::check
