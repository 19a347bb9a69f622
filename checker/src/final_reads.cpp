#include "final_reads.h"

#include <set>
#include <string>

#include "history_view.h"

namespace faultline::check {
namespace {

using detail::HistoryView;
using history::Json;
using history::OpType;

std::set<std::string> unread_keys(const history::History& h) {
  std::set<std::string> keys;
  const auto fp = h.meta.find("final_phase");
  if (fp == h.meta.end() || !fp->is_object()) return keys;
  const auto unread = fp->find("unread");
  if (unread == fp->end() || !unread->is_array()) return keys;
  for (const auto& k : *unread)
    if (k.is_string()) keys.insert(k.get<std::string>());
  return keys;
}

bool is_read(const std::string& f) { return f == "read" || f == "get"; }

bool is_mutation(const std::string& f) {
  return f == "write" || f == "add" || f == "put" || f == "append" || f == "cas";
}

}  // namespace

bool has_unread_keys(const history::History& history) { return !unread_keys(history).empty(); }

Result check_final_reads(const history::History& history) {
  Result result;
  result.checker = "final-reads";
  const std::set<std::string> unread = unread_keys(history);
  result.valid = Validity::kValid;
  Json& d = result.details;
  d["unread_key_count"] = unread.size();
  if (unread.empty()) return result;
  try {
    const HistoryView view(history);
    Json unproven = Json::object();
    std::size_t unproven_writes = 0;
    for (const auto& group : view.by_key()) {
      if (!group.key || !unread.count(*group.key)) continue;
      // The latest start of an ok read of this key: a write that completed
      // before it was judged by it (kept or lost); later writes were not.
      std::int64_t last_read_rank = -1;
      for (std::size_t i : group.operations) {
        if (is_read(view.invocation(i).f) && view.outcome(i) == OpType::kOk)
          last_read_rank = std::max(last_read_rank, view.invoke_rank(i));
      }
      Json writes = Json::array();
      for (std::size_t i : group.operations) {
        const history::Op& inv = view.invocation(i);
        if (!is_mutation(inv.f) || view.outcome(i) != OpType::kOk) continue;
        if (history::is_compare_failed(*view.completion(i))) continue;
        if (view.complete_rank(i) < last_read_rank) continue;
        if (writes.size() < 10) writes.push_back(view.describe(i));
        ++unproven_writes;
      }
      if (!writes.empty()) unproven[*group.key] = std::move(writes);
    }
    d["unread_keys"] = Json(std::vector<std::string>(unread.begin(), unread.end()));
    d["unproven"] = std::move(unproven);
    d["unproven_write_count"] = unproven_writes;
    if (unproven_writes > 0) {
      result.valid = Validity::kUnknown;
      d["reason"] = std::to_string(d["unproven"].size()) +
                    " keys the final phase could not read hold acknowledged writes no read came after: whether "
                    "they were kept or lost is unknown";
    }
  } catch (const std::runtime_error& e) {
    result.valid = Validity::kUnknown;
    d["error"] = e.what();
  }
  return result;
}

}  // namespace faultline::check
