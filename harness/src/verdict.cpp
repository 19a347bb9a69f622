#include "verdict.h"

#include <algorithm>

namespace faultline::harness {

Judgement judge(const check::Report& report, const std::vector<std::string>& allowed_kinds) {
  auto allowed = [&](const std::string& kind) {
    return std::find(allowed_kinds.begin(), allowed_kinds.end(), kind) != allowed_kinds.end();
  };
  Judgement j;
  j.valid = report.results.empty() ? check::Validity::kUnknown : check::Validity::kValid;
  for (const auto& r : report.results) {
    check::Validity v = r.valid;
    const bool all_allowed =
        !r.anomalies.empty() && std::all_of(r.anomalies.begin(), r.anomalies.end(),
                                            [&](const check::Anomaly& a) { return allowed(a.kind); });
    if (v == check::Validity::kInvalid && all_allowed) v = check::Validity::kValid;
    nlohmann::json doc = check::to_json(r);
    doc["counted_as"] = check::validity_to_json(v);
    for (std::size_t i = 0; i < r.anomalies.size(); ++i) {
      const auto& kind = r.anomalies[i].kind;
      j.anomalies[kind] = j.anomalies.value(kind, 0) + 1;
      ++j.anomaly_count;
      if (doc.contains("anomalies") && i < doc["anomalies"].size()) doc["anomalies"][i]["allowed"] = allowed(kind);
    }
    j.results.push_back(std::move(doc));
    j.valid = check::worst(j.valid, v);
  }
  return j;
}

}  // namespace faultline::harness
