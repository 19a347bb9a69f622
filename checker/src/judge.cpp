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

// "1 stale read", "12 stale reads": kind_phrase's plural made singular for one.
std::string counted(std::int64_t n, const std::string& kind) {
  std::string phrase = kind_phrase(kind);
  // "lost writes" -> "lost write"; "counter too low" has no plural s.
  if (n == 1 && !phrase.empty() && phrase.back() == 's') phrase.pop_back();
  return std::to_string(n) + " " + phrase;
}

// One checker's conclusion, as findings() lists it.
std::string finding(const Json& result) {
  const std::string name = result.value("checker", "");
  const Json& v = result.contains("valid") ? result["valid"] : Json("unknown");
  const Validity valid = v == true ? Validity::kValid : v == false ? Validity::kInvalid : Validity::kUnknown;
  if (name == "linearizable") {
    if (valid == Validity::kValid) return "linearizable";
    if (valid == Validity::kUnknown) return "linearizability unknown";
    const std::int64_t keys = result.contains("counts") ? result["counts"].value("nonlinearizable", 0) : 0;
    return "not linearizable (" + std::to_string(keys) + (keys == 1 ? " key)" : " keys)");
  }
  if (valid == Validity::kValid) {
    if (name == "register-stale-read") return "no stale read";
    if (name == "set-full") return "no lost, stale or unexpected element";
    if (name == "counter") return "counter within bounds";
    if (name == "final-reads") return "every acknowledged write read back";
    return name + " valid";
  }
  std::string out;
  if (result.contains("counts") && result["counts"].is_object())
    for (const auto& [kind, n] : result["counts"].items())
      if (n.is_number_integer() && n.get<std::int64_t>() > 0)
        out += (out.empty() ? "" : ", ") + counted(n.get<std::int64_t>(), kind);
  if (valid == Validity::kUnknown) {
    if (name == "final-reads") return "lost writes unknown (keys not read back)";
    return out.empty() ? name + " unknown" : name + " unknown: " + out;
  }
  return out.empty() ? name + " invalid" : out;
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

std::string Judgement::findings() const {
  std::string out;
  for (const Json& r : results) out += (out.empty() ? "" : ", ") + finding(r);
  return out.empty() ? "nothing checked" : out;
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
