#include "faultline/checker/checker.h"

namespace faultline::check {

Json validity_to_json(Validity v) {
  switch (v) {
    case Validity::kValid: return true;
    case Validity::kInvalid: return false;
    case Validity::kUnknown: return "unknown";
  }
  return "unknown";
}

Validity worst(Validity a, Validity b) {
  if (a == Validity::kInvalid || b == Validity::kInvalid) return Validity::kInvalid;
  if (a == Validity::kUnknown || b == Validity::kUnknown) return Validity::kUnknown;
  return Validity::kValid;
}

int exit_code(Validity v) {
  switch (v) {
    case Validity::kValid: return 0;
    case Validity::kInvalid: return 1;
    case Validity::kUnknown: return 2;
  }
  return 2;
}

Json to_json(const Result& result) {
  Json out = Json::object();
  out["checker"] = result.checker;
  out["valid"] = validity_to_json(result.valid);
  Json counts = Json::object();
  for (const auto& [kind, n] : result.counts) counts[kind] = n;
  out["counts"] = std::move(counts);
  Json anomalies = Json::array();
  for (const Anomaly& a : result.anomalies) {
    anomalies.push_back({{"kind", a.kind}, {"description", a.description}, {"witness", a.witness}, {"details", a.details}});
  }
  out["anomalies"] = std::move(anomalies);
  for (auto it = result.details.begin(); it != result.details.end(); ++it) {
    if (!out.contains(it.key())) out[it.key()] = it.value();
  }
  return out;
}

}  // namespace faultline::check
