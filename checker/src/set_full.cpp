#include "set_full.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "latency_quantiles.h"
#include "set_full_key.h"

namespace faultline::check {
namespace {

using detail::check_each_key;
using detail::HistoryView;
using set_full::Rendered;
using set_full::SetKeyCheck;
using set_full::SetTotals;
using history::Json;

Json count_or_zero(const std::map<std::string, std::size_t>& counts, const std::string& kind) {
  auto it = counts.find(kind);
  return it == counts.end() ? 0 : it->second;
}

}  // namespace

Result check_set_full(const history::History& history, const SetFullOptions& options) {
  Result result;
  result.checker = "set-full";
  SetTotals totals;
  const bool judged = check_each_key(history, totals, result,
                                    [&](const HistoryView& view, const HistoryView::KeyGroup& group, std::size_t g) {
                                      SetKeyCheck(view, group, g, options, totals).run();
                                    });
  if (!judged) return result;

  // Worst first across keys; a fixed kind order puts the definite anomalies
  // (lost, unexpected, duplicated) ahead of stale reads.
  Json omitted = Json::object();
  std::map<std::string, Json> worst;
  for (const std::string kind : {"lost", "unexpected", "duplicated", "stale"}) {
    auto& found = totals.found[kind];
    std::stable_sort(found.begin(), found.end(), [](const Rendered& a, const Rendered& b) {
      if (a.score != b.score) return a.score > b.score;
      if (a.key_order != b.key_order) return a.key_order < b.key_order;
      return a.element < b.element;
    });
    if (found.size() > options.max_reported) found.resize(options.max_reported);
    Json list = Json::array();
    for (auto& r : found) {
      list.push_back(r.anomaly.details);
      list.back()["description"] = r.anomaly.description;
      list.back()["witness"] = r.anomaly.witness;
      result.anomalies.push_back(std::move(r.anomaly));
    }
    worst[kind] = std::move(list);
    const std::size_t all = count_or_zero(totals.found_count, kind).get<std::size_t>();
    if (all > 0) result.count(kind, static_cast<std::int64_t>(all));
    if (all > found.size()) omitted[kind] = all - found.size();
  }

  Validity valid = Validity::kValid;
  if (totals.lost > 0 || totals.duplicated > 0 || totals.unexpected > 0 || (options.strict && totals.stale > 0)) {
    valid = Validity::kInvalid;
  } else if (totals.stable == 0) {
    valid = Validity::kUnknown;  // nothing was ever confirmed: no evidence either way
  }
  result.valid = valid;

  Json& d = result.details;
  d["strict"] = options.strict;
  d["key_count"] = totals.keys;
  d["attempt_count"] = totals.attempts;
  d["acknowledged_count"] = totals.acknowledged;
  d["read_count"] = totals.reads;
  d["failed_read_count"] = totals.failed_reads;
  d["indeterminate_read_count"] = totals.indeterminate_reads;
  d["returned_element_count"] = totals.returned_elements;
  d["largest_read"] = totals.largest_read;
  d["stable_count"] = totals.stable;
  d["lost_count"] = totals.lost;
  d["stale_count"] = totals.stale;
  d["never_read_count"] = totals.never_read;
  d["duplicated_count"] = totals.duplicated;
  d["unexpected_count"] = totals.unexpected;
  for (const char* name : {"lost", "stale", "never_read", "unexpected", "duplicated"}) {
    d[name] = totals.lists.contains(name) ? totals.lists[name] : (totals.keyed || std::string(name) == "duplicated" ? Json::object() : Json(""));
  }
  d["stable_latencies_ms"] = detail::quantiles(totals.stable_ms);
  d["stale_latencies_ms"] = detail::quantiles(totals.stale_ms);
  d["lost_latencies_ms"] = detail::quantiles(totals.lost_ms);
  d["worst_lost"] = std::move(worst["lost"]);
  d["worst_stale"] = std::move(worst["stale"]);
  d["anomalies_omitted"] = std::move(omitted);
  return result;
}

}  // namespace faultline::check
