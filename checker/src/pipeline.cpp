#include "faultline/checker/pipeline.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace faultline::check {
namespace {

// What a history the harness wrote says about its own check: the anomaly
// kinds its store preset is documented to show (meta.check), and whether
// stale reads are fatal. Raises options->strict_stale when it says so.
Expectation expectation_from_meta(const Json& meta, CheckOptions* options) {
  Expectation e;
  if (const Json* c = meta.contains("check") ? &meta["check"] : nullptr; c && c->is_object()) {
    if (c->value("strict_stale", false) == true) options->strict_stale = true;
    // "allowed_anomalies": histories recorded before the verdict became the model's.
    for (const char* field : {"expected_anomalies", "allowed_anomalies"}) {
      if (c->contains(field) && (*c)[field].is_array())
        for (const auto& k : (*c)[field])
          if (k.is_string() && !e.expects(k.get<std::string>())) e.kinds.push_back(k.get<std::string>());
    }
    if (c->contains("expected_for") && (*c)["expected_for"].is_string()) e.label = (*c)["expected_for"];
  }
  if (e.label.empty() && meta.contains("store_preset") && meta["store_preset"].is_string()) e.label = meta["store_preset"];
  return e;
}

std::optional<std::int64_t> first_anomaly_time(const history::History& h, const Judgement& j) {
  // Each listed anomaly's witness indexes first: most checks list none, and
  // then the history is not walked at all; otherwise only these are looked up.
  std::vector<std::vector<std::int64_t>> witnesses;
  std::unordered_map<std::int64_t, std::optional<std::int64_t>> time_of;  // witness event index -> its time
  for (const Json& result : j.results) {
    if (!result.is_object() || !result.contains("anomalies") || !result["anomalies"].is_array()) continue;
    for (const Json& a : result["anomalies"]) {
      if (!a.is_object() || !a.contains("witness") || !a["witness"].is_array()) continue;
      auto& w = witnesses.emplace_back();
      for (const Json& i : a["witness"])
        if (i.is_number_integer()) time_of.emplace(w.emplace_back(i.get<std::int64_t>()), std::nullopt);
    }
  }
  if (time_of.empty()) return std::nullopt;
  auto note = [&](std::int64_t index, std::int64_t time) {
    if (auto it = time_of.find(index); it != time_of.end()) it->second = time;
  };
  for (const auto& op : h.ops) note(op.index, op.time);
  for (const auto& e : h.nemesis) note(e.index, e.time);
  std::optional<std::int64_t> first;
  for (const auto& w : witnesses) {
    std::optional<std::int64_t> visible;  // the last witness event's time
    for (std::int64_t i : w)
      if (const auto t = time_of.at(i)) visible = std::max(visible.value_or(*t), *t);
    if (visible && (!first || *visible < *first)) first = visible;
  }
  return first;
}

}  // namespace

int CheckOutcome::exit_code() const {
  if (expect_given) return expect_unmet.empty() ? 0 : 1;
  return check::exit_code(judgement.valid);
}

CheckOutcome check_and_judge(const history::History& h, CheckRequest request) {
  CheckOutcome out;
  out.model = request.model;
  if (out.model.empty() && h.meta.contains("model") && h.meta["model"].is_string()) out.model = h.meta["model"];
  if (out.model.empty()) {
    std::string known;
    for (const auto& m : known_models()) known += " " + m;
    throw NoModelError("no model: pass --model (one of" + known + ") or record meta.model in the history");
  }
  out.expectation = request.expectation ? *request.expectation : expectation_from_meta(h.meta, &request.options);
  out.judgement = judge(check_history(h, out.model, request.options), out.expectation);
  out.first_anomaly_ns = first_anomaly_time(h, out.judgement);
  if (!request.expect.empty()) {
    out.expect_given = true;
    out.expect_unmet = expectation_unmet(out.judgement, request.expect);
  }
  return out;
}

}  // namespace faultline::check
