#include "register_stale.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "history_view.h"
#include "latency_quantiles.h"

namespace faultline::check {
namespace {

using detail::BadInput;
using detail::check_each_key;
using detail::HistoryView;
using detail::kNever;
using history::Json;
using history::OpType;

struct Write {
  std::size_t op;
  const Json* value;
  std::int64_t begin, end;  // ranks; end = kNever unless ok
  OpType outcome;
};

struct Read {
  std::size_t op;
  const Json* value;
  std::int64_t begin, end;
  bool cas;  // the `from` of an ok cas
};

struct StaleFinding {
  double score;  // stale: how long the missed write had been complete, ms
  std::size_t key_order;
  std::int64_t read_index;
  Anomaly anomaly;
};

struct StaleTotals {
  bool keyed = false;
  std::size_t keys = 0, reads = 0, cas_reads = 0, initial_reads = 0, writes = 0;
  std::size_t stale = 0, impossible = 0, repeated = 0;
  std::vector<double> stale_ms;
  std::vector<StaleFinding> stale_found, impossible_found;
};

class StaleKeyCheck {
 public:
  StaleKeyCheck(const HistoryView& view, const HistoryView::KeyGroup& group, std::size_t key_order,
           const RegisterStaleOptions& options, StaleTotals& totals)
      : view_(view), group_(group), key_order_(key_order), options_(options), totals_(totals) {}

  void run() {
    collect();
    index_writes();
    for (const Read& r : reads_) check_read(r);
  }

 private:
  void collect() {
    for (std::size_t i : group_.operations) {
      const auto& inv = view_.invocation(i);
      const OpType outcome = view_.outcome(i);
      const std::int64_t begin = view_.invoke_rank(i);
      const std::int64_t end = outcome == OpType::kOk ? view_.complete_rank(i) : kNever;
      if (inv.f == "write") {
        writes_.push_back(Write{i, &inv.value, begin, end, outcome});
      } else if (inv.f == "cas") {
        // A comparison that found another value neither read `from` nor wrote.
        if (outcome == OpType::kOk && history::is_compare_failed(*view_.completion(i))) continue;
        if (!inv.value.is_array() || inv.value.size() != 2) {
          throw BadInput("event index " + std::to_string(inv.index) + ": cas value must be [from, to], got " + inv.value.dump());
        }
        writes_.push_back(Write{i, &inv.value[1], begin, end, outcome});
        if (outcome == OpType::kOk) reads_.push_back(Read{i, &inv.value[0], begin, end, true});
      } else if (inv.f == "read" && outcome == OpType::kOk) {
        reads_.push_back(Read{i, &view_.completion(i)->value, begin, end, false});
      }
    }
    totals_.writes += writes_.size();
  }

  void index_writes() {
    for (std::size_t w = 0; w < writes_.size(); ++w) by_value_[writes_[w].value->dump()].push_back(w);
    // Ok writes by start; from_[k] = the earliest-ending ok write among
    // positions >= k, so "the first write to finish among those that began
    // after X" is one binary search.
    for (std::size_t w = 0; w < writes_.size(); ++w) {
      if (writes_[w].outcome == OpType::kOk) ok_.push_back(w);
    }
    std::sort(ok_.begin(), ok_.end(), [&](std::size_t a, std::size_t b) { return writes_[a].begin < writes_[b].begin; });
    ok_begins_.resize(ok_.size());
    for (std::size_t k = 0; k < ok_.size(); ++k) ok_begins_[k] = writes_[ok_[k]].begin;
    earliest_end_from_.assign(ok_.size() + 1, SIZE_MAX);
    for (std::size_t k = ok_.size(); k-- > 0;) {
      const std::size_t next = earliest_end_from_[k + 1];
      earliest_end_from_[k] = (next == SIZE_MAX || writes_[ok_[k]].end < writes_[next].end) ? ok_[k] : next;
    }
  }

  // The ok write that finished first among those that began after `rank`;
  // SIZE_MAX when none did.
  std::size_t first_finished_after(std::int64_t rank) const {
    const auto k = static_cast<std::size_t>(std::upper_bound(ok_begins_.begin(), ok_begins_.end(), rank) - ok_begins_.begin());
    return earliest_end_from_[k];
  }

  // A read of v is stale when every write that may have left v (the
  // initial value too, for null) was certainly overwritten before the read
  // began: each source s is ok, and some ok write began after s ended and
  // ended before the read began. Then in any order the read follows a
  // source with a write between them, so the history is not linearizable
  // either (the two checkers agree). Values may repeat: each write of v is a
  // candidate source. An indeterminate write of v may land at any later
  // moment, so a read of v is then never stale.
  void check_read(const Read& r) {
    ++totals_.reads;
    if (r.cas) ++totals_.cas_reads;
    const bool null = r.value->is_null();
    if (null) ++totals_.initial_reads;
    const auto found = by_value_.find(r.value->dump());
    std::vector<const Write*> sources;
    const Write* failed = nullptr;
    const Write* future = nullptr;
    if (found != by_value_.end()) {
      for (std::size_t w : found->second) {
        const Write& cand = writes_[w];
        if (cand.op == r.op) continue;  // a cas [v v] reads before it writes
        if (cand.outcome == OpType::kFail) {
          if (failed == nullptr) failed = &cand;
        } else if (cand.begin > r.end) {
          if (future == nullptr) future = &cand;
        } else {
          sources.push_back(&cand);
        }
      }
    }
    if (!null && sources.empty()) {
      if (future != nullptr) return report_impossible(r, "future-write", future);
      return report_impossible(r, failed == nullptr ? "never-written" : "failed-write", failed);
    }
    if (sources.size() > 1) ++totals_.repeated;
    // Null: the initial value is a source that every ok write overwrites.
    const Write* source = nullptr;  // nullptr: the initial value
    std::size_t missed = SIZE_MAX;
    if (null) {
      missed = first_finished_after(-1);
      if (missed == SIZE_MAX || writes_[missed].end >= r.begin) return;
    }
    for (const Write* s : sources) {
      if (s->outcome != OpType::kOk) return;
      const std::size_t over = first_finished_after(s->end);
      if (over == SIZE_MAX || writes_[over].end >= r.begin) return;
      // Report the latest source: what it missed is then another value,
      // never a later write of v (that would itself be a later source).
      if (source == nullptr || s->end > source->end) {
        source = s;
        missed = over;
      }
    }
    report_stale(r, source, writes_[missed]);
  }

  // "the delete" for a write of null, else "the write of 3" / "the cas to 3".
  std::string mutation_phrase(const Write& w) const {
    const std::string& f = view_.invocation(w.op).f;
    if (w.value->is_null() && f == "write") return "the delete";
    return "the " + f + (f == "cas" ? " to " : " of ") + w.value->dump();
  }

  // Whether an ok delete (anything that wrote null) began after `w` ended
  // and ended before `r` began: the value read had certainly been deleted.
  bool deleted_between(const Write& w, const Read& r) const {
    const auto deletes = by_value_.find("null");
    if (deletes == by_value_.end()) return false;
    for (std::size_t d : deletes->second) {
      const Write& del = writes_[d];
      if (del.outcome == OpType::kOk && del.begin > w.end && del.end < r.begin) return true;
    }
    return false;
  }

  std::string read_phrase(const Read& r) const {
    const std::string key = detail::key_phrase(group_.key);
    const std::string on = key.empty() ? "" : " of " + key;
    const std::string at = detail::format_duration(view_.invoke_time(r.op));
    if (r.cas) {
      const auto& v = view_.invocation(r.op).value;
      return "the cas" + on + " that began at " + at + " succeeded, so it read " + v[0].dump() + " (swapping it for " +
             v[1].dump() + "),";
    }
    return "the read" + on + " that began at " + at + " returned " + r.value->dump() + ",";
  }

  Json base_details(const Read& r) const {
    Json d = {{"read", view_.describe(r.op)}, {"value", *r.value}, {"via", r.cas ? "cas" : "read"}};
    if (totals_.keyed) d["key"] = detail::key_json(group_.key);
    return d;
  }

  void report_stale(const Read& r, const Write* w, const Write& missed) {
    ++totals_.stale;
    const std::int64_t stale_ns = view_.invoke_time(r.op) - view_.complete_time(missed.op);
    const double ms = detail::to_millis(std::max<std::int64_t>(0, stale_ns));
    totals_.stale_ms.push_back(ms);
    Anomaly a;
    a.kind = "stale-read";
    a.details = base_details(r);
    std::string text = read_phrase(r);
    if (w != nullptr) {
      view_.append_witness(w->op, a.witness);
      a.details["write"] = view_.describe(w->op);
      const std::string& f = view_.invocation(w->op).f;
      text += w->value->is_null() && f == "write" ? " left by the delete that ended at " : " written by the " + f + " that ended at ";
      text += detail::format_duration(view_.complete_time(w->op));
    } else {
      a.details["write"] = nullptr;
      text += " the initial value";
    }
    view_.append_witness(missed.op, a.witness);
    view_.append_witness(r.op, a.witness);
    a.details["missed_write"] = view_.describe(missed.op);
    a.details["missed_value"] = *missed.value;
    // A value read after a delete of it completed: a lost delete, or a
    // deleted value brought back (a resurrection, e.g. tombstones purged too
    // early). The missed write named may be an earlier overwrite.
    a.details["missed_delete"] = w != nullptr && !w->value->is_null() && deleted_between(*w, r);
    a.details["stale_ms"] = ms;
    text += ", but " + mutation_phrase(missed) + " (began " + detail::format_duration(view_.invoke_time(missed.op)) +
            (missed.value->is_null() ? ") had already removed it, completing at " : ") had already overwritten it, completing at ") +
            detail::format_duration(view_.complete_time(missed.op)) + ", " + detail::format_duration(stale_ns) +
            " before the read began";
    a.description = std::move(text);
    totals_.stale_found.push_back(StaleFinding{ms, key_order_, view_.invocation(r.op).index, std::move(a)});
  }

  void report_impossible(const Read& r, const std::string& reason, const Write* w) {
    ++totals_.impossible;
    Anomaly a;
    a.kind = "impossible-read";
    a.details = base_details(r);
    a.details["reason"] = reason;
    std::string text = read_phrase(r);
    if (reason == "never-written") {
      view_.append_witness(r.op, a.witness);
      text += " a value no operation ever wrote";
    } else if (reason == "failed-write") {
      view_.append_witness(w->op, a.witness);
      view_.append_witness(r.op, a.witness);
      a.details["write"] = view_.describe(w->op);
      text += " a value whose only write failed (so it was never applied)";
    } else {
      view_.append_witness(r.op, a.witness);
      view_.append_witness(w->op, a.witness);
      a.details["write"] = view_.describe(w->op);
      text += " a value whose only write began at " + detail::format_duration(view_.invoke_time(w->op)) +
              ", after the read ended at " + detail::format_duration(view_.complete_time(r.op));
    }
    a.description = std::move(text);
    totals_.impossible_found.push_back(StaleFinding{0, key_order_, view_.invocation(r.op).index, std::move(a)});
  }

  const HistoryView& view_;
  const HistoryView::KeyGroup& group_;
  std::size_t key_order_;
  const RegisterStaleOptions& options_;
  StaleTotals& totals_;
  std::vector<Write> writes_;
  std::vector<Read> reads_;
  std::unordered_map<std::string, std::vector<std::size_t>> by_value_;  // dumped value -> writes of it
  std::vector<std::size_t> ok_;
  std::vector<std::int64_t> ok_begins_;
  std::vector<std::size_t> earliest_end_from_;
};

// Worst first (then history order), capped; returns how many were left out.
std::size_t keep_worst(std::vector<StaleFinding>& found, std::size_t cap) {
  std::sort(found.begin(), found.end(), [](const StaleFinding& a, const StaleFinding& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.read_index < b.read_index;
  });
  const std::size_t omitted = found.size() > cap ? found.size() - cap : 0;
  if (omitted > 0) found.resize(cap);
  return omitted;
}

}  // namespace

Result check_register_stale(const history::History& history, const RegisterStaleOptions& options) {
  Result result;
  result.checker = "register-stale-read";
  StaleTotals totals;
  const bool judged = check_each_key(history, totals, result,
                                    [&](const HistoryView& view, const HistoryView::KeyGroup& group, std::size_t g) {
                                      StaleKeyCheck(view, group, g, options, totals).run();
                                    });
  if (!judged) return result;
  result.valid = totals.stale + totals.impossible > 0 ? Validity::kInvalid : Validity::kValid;
  if (totals.stale > 0) result.count("stale-read", static_cast<std::int64_t>(totals.stale));
  if (totals.impossible > 0) result.count("impossible-read", static_cast<std::int64_t>(totals.impossible));

  Json omitted = Json::object();
  if (auto n = keep_worst(totals.impossible_found, options.max_reported)) omitted["impossible-read"] = n;
  if (auto n = keep_worst(totals.stale_found, options.max_reported)) omitted["stale-read"] = n;
  Json worst = Json::array();
  for (auto& f : totals.impossible_found) result.anomalies.push_back(std::move(f.anomaly));
  for (auto& f : totals.stale_found) {
    worst.push_back(f.anomaly.details);
    worst.back()["description"] = f.anomaly.description;
    worst.back()["witness"] = f.anomaly.witness;
    result.anomalies.push_back(std::move(f.anomaly));
  }
  Json& d = result.details;
  d["key_count"] = totals.keys;
  d["read_count"] = totals.reads;
  d["cas_read_count"] = totals.cas_reads;
  d["initial_read_count"] = totals.initial_reads;
  d["write_count"] = totals.writes;
  d["stale_read_count"] = totals.stale;
  d["impossible_read_count"] = totals.impossible;
  d["repeated_value_read_count"] = totals.repeated;  // reads of a value with several candidate writes
  d["stale_ms"] = detail::quantiles(totals.stale_ms);
  d["worst_stale"] = std::move(worst);
  d["anomalies_omitted"] = std::move(omitted);
  return result;
}

}  // namespace faultline::check
