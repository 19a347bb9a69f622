#include "history_view.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <numeric>

namespace faultline::check::detail {

HistoryView::HistoryView(const history::History& history)
    : events_(&history.ops), operations_(history::pair_operations(history)) {
  const auto& ops = history.ops;
  rank_.resize(ops.size());
  auto before = [&](std::size_t a, std::size_t b) {
    if (ops[a].time != ops[b].time) return ops[a].time < ops[b].time;
    return ops[a].index < ops[b].index;
  };
  // Recorded histories are already in time order; sorting is for imports
  // whose clocks disagree with their file order.
  bool sorted = true;
  for (std::size_t i = 1; i < ops.size() && sorted; ++i) sorted = before(i - 1, i);
  if (sorted) {
    std::iota(rank_.begin(), rank_.end(), std::int64_t{0});
    return;
  }
  std::vector<std::size_t> order(ops.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), before);
  for (std::size_t r = 0; r < order.size(); ++r) rank_[order[r]] = static_cast<std::int64_t>(r);
}

void HistoryView::append_witness(std::size_t i, std::vector<std::int64_t>& out) const {
  out.push_back(invocation(i).index);
  if (const auto* c = completion(i)) out.push_back(c->index);
}

Json HistoryView::describe(std::size_t i) const {
  const auto& inv = invocation(i);
  const auto* c = completion(i);
  Json out = {{"f", inv.f},
              {"process", inv.process},
              {"type", std::string(history::to_string(outcome(i)))},
              {"invoke", inv.index},
              {"complete", c ? Json(c->index) : Json(nullptr)},
              {"began_s", to_seconds(inv.time)},
              {"ended_s", c ? Json(to_seconds(c->time)) : Json(nullptr)}};
  return out;
}

std::vector<HistoryView::KeyGroup> HistoryView::by_key() const {
  std::map<std::optional<std::string>, std::vector<std::size_t>> groups;
  // Consecutive operations usually share a key; skip the map lookup then.
  const std::optional<std::string>* last_key = nullptr;
  std::vector<std::size_t>* last_group = nullptr;
  for (std::size_t i = 0; i < operations_.size(); ++i) {
    const auto& key = invocation(i).key;
    if (last_key == nullptr || *last_key != key) {
      last_group = &groups[key];
      last_key = &key;
    }
    last_group->push_back(i);
  }
  std::vector<KeyGroup> out;
  out.reserve(groups.size());
  for (auto& [key, ops] : groups) out.push_back(KeyGroup{key, std::move(ops)});
  return out;
}

bool HistoryView::keyed() const {
  return std::any_of(operations_.begin(), operations_.end(),
                     [&](const Operation& o) { return (*events_)[o.invoke].key.has_value(); });
}

std::string format_duration(std::int64_t ns) {
  char buf[64];
  const std::int64_t magnitude = ns < 0 ? -ns : ns;
  if (magnitude >= 1'000'000'000) {
    std::snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(ns) / 1e9);
  } else if (magnitude >= 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(ns) / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%" PRId64 " ns", ns);
  }
  return buf;
}

double to_seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }
double to_millis(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string key_phrase(const std::optional<std::string>& key) {
  return key ? "key \"" + *key + "\"" : std::string();
}

Json key_json(const std::optional<std::string>& key) { return key ? Json(*key) : Json(nullptr); }

std::string integer_ranges(const std::vector<std::int64_t>& sorted) {
  std::string out;
  std::size_t i = 0;
  while (i < sorted.size()) {
    std::size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (!out.empty()) out += ' ';
    out += std::to_string(sorted[i]);
    if (j > i) out += ".." + std::to_string(sorted[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace faultline::check::detail
