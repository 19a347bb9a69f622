#include "faultline/checker/set_full.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "element_index.h"
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

// Bad input found while reading the workload's values; becomes `unknown`.
// A finding before it is rendered: only the worst few become anomalies, so
// prose and JSON are built for those alone.
struct Candidate {
  double score;           // larger = worse
  std::int64_t element;   // tie-break, so output is deterministic
  std::int32_t id;
  std::int32_t read = -1; // the read it concerns (duplicated, unexpected)
  int flavour = 0;        // unexpected: see UnexpectedFlavour
};

enum UnexpectedFlavour { kNeverAdded = 0, kFailedAdd = 1, kPremature = 2 };

struct Rendered {
  double score;
  std::int64_t element;
  std::size_t key_order;
  Anomaly anomaly;
};

// Everything pooled across keys.
struct SetTotals {
  bool keyed = false;
  std::size_t keys = 0;
  std::size_t attempts = 0, acknowledged = 0, reads = 0, failed_reads = 0, indeterminate_reads = 0;
  std::size_t returned_elements = 0, largest_read = 0;
  std::size_t stable = 0, lost = 0, stale = 0, never_read = 0, duplicated = 0, unexpected = 0;
  std::vector<double> stable_ms, lost_ms, stale_ms;
  std::map<std::string, std::vector<Rendered>> found;  // kind -> worst few per key
  std::map<std::string, std::size_t> found_count;      // kind -> all
  Json lists = Json::object();                          // element lists, per key when keyed
};

class SetKeyCheck {
 public:
  SetKeyCheck(const HistoryView& view, const HistoryView::KeyGroup& group, std::size_t key_order,
           const SetFullOptions& options, SetTotals& totals)
      : view_(view), group_(group), key_order_(key_order), options_(options), totals_(totals) {}

  void run() {
    collect_ops();
    index_elements();
    check_reads();
    place_adds();
    walk_reads();
    classify();
  }

 private:
  // Touched for every element of every read: kept small and together.
  struct Hot {
    std::int64_t add_begin = kNever;   // rank of the earliest add invocation
    std::int64_t first_seen = kNever;  // rank of the end of the first relevant read returning it
    std::int32_t first_seen_read = -1;
    std::int32_t last_present = -1;    // last relevant read (by start) returning it
    std::int32_t stamp = -1;           // last read position that returned it: membership test
    std::int32_t first_after = 0;      // first read position that began after the add began
  };
  struct Cold {
    std::size_t add_op = 0;
    std::size_t ack_op = 0;
    std::int64_t ack = kNever;        // rank of the first ok completion of an add
    bool maybe_applied = false;       // some add of it did not fail
    std::int32_t last_absent = -1;    // last relevant read (by start) not returning it, at/after first_after
    std::int32_t premature_read = -1; // earliest read returning it that ended before the add began
  };
  struct Read {
    std::size_t op;
    std::int64_t begin;
    std::int64_t end;
  };

  void collect_ops() {
    for (std::size_t i : group_.operations) {
      const auto& inv = view_.invocation(i);
      if (inv.f == "add") {
        adds_.push_back(i);
      } else if (inv.f == "read") {
        switch (view_.outcome(i)) {
          case OpType::kOk: reads_.push_back(Read{i, view_.invoke_rank(i), view_.complete_rank(i)}); break;
          case OpType::kFail: ++totals_.failed_reads; break;
          default: ++totals_.indeterminate_reads; break;
        }
      }
    }
    // Positions in start order: "the last read" and "reads that began after"
    // are ranges of positions.
    std::sort(reads_.begin(), reads_.end(), [](const Read& a, const Read& b) { return a.begin < b.begin; });
    totals_.reads += reads_.size();
  }

  void index_elements() {
    std::vector<std::int64_t> values;
    values.reserve(adds_.size());
    for (std::size_t i : adds_) {
      const auto& inv = view_.invocation(i);
      auto v = detail::json_int(inv.value);
      if (!v) throw BadInput("event index " + std::to_string(inv.index) + ": add value must be an integer element, got " + inv.value.dump());
      values.push_back(*v);
    }
    index_.emplace(values);
    hot_.assign(index_->size(), Hot{});
    cold_.assign(index_->size(), Cold{});
    for (std::size_t a = 0; a < adds_.size(); ++a) {
      const std::size_t i = adds_[a];
      const auto id = static_cast<std::size_t>(index_->find(values[a]));
      Hot& h = hot_[id];
      Cold& c = cold_[id];
      const std::int64_t begin = view_.invoke_rank(i);
      if (begin < h.add_begin) {
        h.add_begin = begin;
        c.add_op = i;
      }
      const OpType outcome = view_.outcome(i);
      if (outcome != OpType::kFail) c.maybe_applied = true;
      if (outcome == OpType::kOk && view_.complete_rank(i) < c.ack) {
        c.ack = view_.complete_rank(i);
        c.ack_op = i;
      }
    }
    totals_.attempts += index_->size();
  }

  // Validates read values and sizes the walk; elements are mapped to ids in
  // walk_reads() itself, so no copy of the reads is ever made.
  void check_reads() {
    for (const Read& r : reads_) {
      const auto* done = view_.completion(r.op);
      const Json& value = done->value;
      if (value.is_array()) {
        totals_.largest_read = std::max(totals_.largest_read, value.size());
        totals_.returned_elements += value.size();
      } else if (!value.is_null()) {  // null: an empty set, as some clients report it
        throw BadInput("event index " + std::to_string(done->index) + ": read value must be an array of elements, got " + value.dump());
      }
    }
  }

  void place_adds() {
    std::vector<std::int64_t> begins(reads_.size());
    for (std::size_t j = 0; j < reads_.size(); ++j) begins[j] = reads_[j].begin;
    for (std::size_t id = 0; id < hot_.size(); ++id) {
      hot_[id].first_after = static_cast<std::int32_t>(
          std::upper_bound(begins.begin(), begins.end(), hot_[id].add_begin) - begins.begin());
    }
    // latest_end_from_[j]: the latest end among reads at positions >= j.
    latest_end_from_.assign(reads_.size() + 1, -1);
    for (std::size_t j = reads_.size(); j-- > 0;) {
      latest_end_from_[j] = std::max(latest_end_from_[j + 1], reads_[j].end);
    }
  }

  // One pass over the reads, newest start first. `streak` holds the
  // elements that every read so far (from the last one down) returned and
  // that all those reads are relevant to; an element leaves it at its last
  // absent read, or when the walk passes below the start of its add (reads
  // that began earlier are not evidence against it, except reads in flight
  // at the add's start, which classify() handles). The streak after read j
  // is a subset of read j, so the walk costs O(total read size + elements).
  void walk_reads() {
    const auto R = static_cast<std::int32_t>(reads_.size());
    std::vector<std::int32_t> streak;
    streak.reserve(hot_.size());
    for (std::size_t id = 0; id < hot_.size(); ++id) {
      if (hot_[id].first_after < R) streak.push_back(static_cast<std::int32_t>(id));
    }
    for (std::int32_t j = R - 1; j >= 0; --j) {
      const Read& read = reads_[static_cast<std::size_t>(j)];
      const std::int64_t end = read.end;
      const Json& value = view_.completion(read.op)->value;
      static const Json::array_t kEmpty;  // a null read: the empty set
      for (const Json& item : value.is_array() ? value.get_ref<const Json::array_t&>() : kEmpty) {
        const auto v = detail::json_int(item);
        if (!v) {
          throw BadInput("event index " + std::to_string(view_.completion(read.op)->index) +
                         ": read returned a non-integer element " + item.dump());
        }
        const std::int32_t id = index_->find(*v);
        if (id < 0) {
          never_added_[*v] = j;  // descending: ends at the earliest read
          continue;
        }
        Hot& h = hot_[static_cast<std::size_t>(id)];
        if (h.stamp == j) {
          duplicates_.emplace_back(id, j);
          continue;
        }
        h.stamp = j;
        if (end > h.add_begin) {
          if (h.last_present < 0) h.last_present = j;
          if (end < h.first_seen) {
            h.first_seen = end;
            h.first_seen_read = j;
          }
        } else {
          cold_[static_cast<std::size_t>(id)].premature_read = j;  // descending: ends at the earliest
        }
      }
      std::size_t keep = 0;
      for (std::int32_t id : streak) {
        const Hot& h = hot_[static_cast<std::size_t>(id)];
        if (h.first_after > j) continue;  // passed below its add: settled in classify()
        if (h.stamp == j) {
          streak[keep++] = id;
        } else {
          cold_[static_cast<std::size_t>(id)].last_absent = j;
        }
      }
      streak.resize(keep);
    }
  }

  std::int64_t known_rank(std::size_t id) const { return std::min(cold_[id].ack, hot_[id].first_seen); }
  bool known_by_add(std::size_t id) const { return cold_[id].ack <= hot_[id].first_seen; }
  std::int64_t known_time(std::size_t id) const {
    return known_by_add(id) ? view_.complete_time(cold_[id].ack_op)
                            : view_.complete_time(reads_[static_cast<std::size_t>(hot_[id].first_seen_read)].op);
  }
  std::int64_t read_begin_time(std::int32_t j) const { return view_.invoke_time(reads_[static_cast<std::size_t>(j)].op); }

  void classify() {
    const auto R = static_cast<std::int32_t>(reads_.size());
    std::vector<std::int64_t> lost, stale, never_read, unexpected;
    std::vector<Candidate> lost_c, stale_c, unexpected_c, dup_c;
    for (std::size_t id = 0; id < hot_.size(); ++id) {
      const Hot& h = hot_[id];
      const Cold& c = cold_[id];
      const std::int64_t element = index_->value(static_cast<std::int32_t>(id));
      const std::int64_t known = known_rank(id);
      if (c.ack != kNever) ++totals_.acknowledged;
      bool stable = false, is_lost = false, is_stale = false;
      std::int64_t stable_ns = 0;
      if (h.first_after < R) {
        if (c.last_absent < 0) {
          // Every read that began after the add returned it; absent reads
          // began before the add, hence before it was known: latency 0.
          stable = true;
        } else if (h.last_present > c.last_absent) {
          stable = true;
          const std::int64_t absent_begin = reads_[static_cast<std::size_t>(c.last_absent)].begin;
          is_stale = absent_begin > known;
          if (is_stale) stable_ns = std::max<std::int64_t>(0, read_begin_time(c.last_absent) - known_time(id));
        } else {
          // The last absent read is then the last read of all (every read
          // after it returned the element, and none did).
          is_lost = known != kNever && reads_[static_cast<std::size_t>(c.last_absent)].begin > known;
        }
      } else if (h.last_present >= 0 && latest_end_from_[static_cast<std::size_t>(h.last_present) + 1] < h.add_begin) {
        // No read began after the add; the reads after the last present one
        // all ended before the add began, so none of them is evidence.
        stable = true;
      }
      if (stable) {
        ++totals_.stable;
        totals_.stable_ms.push_back(detail::to_millis(stable_ns));
        if (is_stale) {
          ++totals_.stale;
          totals_.stale_ms.push_back(detail::to_millis(stable_ns));
          stale.push_back(element);
          stale_c.push_back(Candidate{detail::to_millis(stable_ns), element, static_cast<std::int32_t>(id)});
        }
      } else if (is_lost) {
        ++totals_.lost;
        const std::int64_t seen_until = h.last_present >= 0 ? read_begin_time(h.last_present) : 0;
        const double ms = detail::to_millis(std::max<std::int64_t>(0, seen_until - known_time(id)));
        totals_.lost_ms.push_back(ms);
        lost.push_back(element);
        lost_c.push_back(Candidate{ms, element, static_cast<std::int32_t>(id)});
      } else {
        ++totals_.never_read;
        never_read.push_back(element);
      }
      if (h.last_present >= 0 && !c.maybe_applied) {
        unexpected_c.push_back(Candidate{0, element, static_cast<std::int32_t>(id), h.first_seen_read, kFailedAdd});
        unexpected.push_back(element);
      } else if (c.premature_read >= 0) {
        unexpected_c.push_back(Candidate{0, element, static_cast<std::int32_t>(id), c.premature_read, kPremature});
        unexpected.push_back(element);
      }
    }
    for (const auto& [value, read] : never_added_) {
      unexpected_c.push_back(Candidate{0, value, -1, read, kNeverAdded});
      unexpected.push_back(value);
    }
    std::sort(unexpected.begin(), unexpected.end());
    totals_.unexpected += unexpected.size();

    // Duplicates: multiplicity per (element, read); keep each element's worst.
    std::sort(duplicates_.begin(), duplicates_.end());
    std::map<std::int64_t, int> dup_multiplicity;
    for (std::size_t a = 0; a < duplicates_.size();) {
      std::size_t b = a;
      while (b < duplicates_.size() && duplicates_[b] == duplicates_[a]) ++b;
      const auto [id, read] = duplicates_[a];
      const int times = static_cast<int>(b - a) + 1;
      const std::int64_t element = index_->value(id);
      auto [it, inserted] = dup_multiplicity.try_emplace(element, times);
      if (inserted || times > it->second) {
        it->second = times;
        if (!inserted) std::erase_if(dup_c, [&](const Candidate& x) { return x.element == element; });
        dup_c.push_back(Candidate{static_cast<double>(times), element, id, read});
      }
      a = b;
    }
    totals_.duplicated += dup_multiplicity.size();

    put_list("lost", detail::integer_ranges(lost));
    put_list("stale", detail::integer_ranges(stale));
    put_list("never_read", detail::integer_ranges(never_read));
    put_list("unexpected", detail::integer_ranges(unexpected));
    if (!dup_multiplicity.empty()) {
      Json dups = Json::object();
      for (const auto& [element, times] : dup_multiplicity) dups[std::to_string(element)] = times;
      if (totals_.keyed) {
        totals_.lists["duplicated"][detail::key_label(group_.key)] = std::move(dups);
      } else {
        totals_.lists["duplicated"] = std::move(dups);
      }
    }

    keep_worst("lost", lost_c, [&](const Candidate& x) { return render_lost(x); });
    keep_worst("stale", stale_c, [&](const Candidate& x) { return render_stale(x); });
    keep_worst("duplicated", dup_c, [&](const Candidate& x) { return render_duplicated(x); });
    keep_worst("unexpected", unexpected_c, [&](const Candidate& x) { return render_unexpected(x); });
  }

  void put_list(const std::string& name, std::string ranges) {
    if (!totals_.keyed) {
      totals_.lists[name] = std::move(ranges);
    } else if (!ranges.empty()) {
      totals_.lists[name][detail::key_label(group_.key)] = std::move(ranges);
    }
  }

  template <typename Render>
  void keep_worst(const std::string& kind, std::vector<Candidate>& all, Render render) {
    totals_.found_count[kind] += all.size();
    const std::size_t n = std::min(all.size(), options_.max_reported);
    auto worse = [](const Candidate& a, const Candidate& b) {
      return a.score != b.score ? a.score > b.score : a.element < b.element;
    };
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), worse);
    for (std::size_t k = 0; k < n; ++k) {
      totals_.found[kind].push_back(Rendered{all[k].score, all[k].element, key_order_, render(all[k])});
    }
  }

  // "element 17" or "key "k" element 17".
  std::string name_element(std::int64_t element) const {
    const std::string key = detail::key_phrase(group_.key);
    return (key.empty() ? "element " : key + " element ") + std::to_string(element);
  }

  Json base_details(std::int64_t element) const {
    Json d = {{"element", element}};
    if (totals_.keyed) d["key"] = detail::key_json(group_.key);
    return d;
  }

  std::size_t read_op(std::int32_t j) const { return reads_[static_cast<std::size_t>(j)].op; }

  // "acknowledged at 1.2 s" / "first seen by the read that ended at 1.2 s".
  std::string known_phrase(std::size_t id) const {
    return (known_by_add(id) ? "acknowledged at " : "first seen by the read that ended at ") +
           detail::format_duration(known_time(id));
  }

  void add_known(std::size_t id, Anomaly& a) const {
    const Cold& c = cold_[id];
    view_.append_witness(c.add_op, a.witness);
    a.details["add"] = view_.describe(c.add_op);
    a.details["known_s"] = detail::to_seconds(known_time(id));
    a.details["known_by"] = known_by_add(id) ? "add" : "read";
    if (!known_by_add(id)) {
      const std::size_t r = read_op(hot_[id].first_seen_read);
      view_.append_witness(r, a.witness);
      a.details["known_read"] = view_.describe(r);
    }
  }

  static void dedup(std::vector<std::int64_t>& witness) {
    std::vector<std::int64_t> out;
    for (std::int64_t w : witness) {
      if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
    }
    witness = std::move(out);
  }

  Anomaly render_lost(const Candidate& x) const {
    const auto id = static_cast<std::size_t>(x.id);
    const Hot& h = hot_[id];
    const auto R = static_cast<std::int32_t>(reads_.size());
    // The first read that began after the element was known and after its
    // last sighting: from there on, every read missed it.
    std::int32_t from = std::max(h.last_present + 1, h.first_after);
    while (from < R && reads_[static_cast<std::size_t>(from)].begin < known_rank(id)) ++from;
    const std::int32_t missing = R - from;
    Anomaly a;
    a.kind = "lost";
    a.details = base_details(x.element);
    add_known(id, a);
    std::string text = name_element(x.element) + " was " + known_phrase(id);
    if (h.last_present >= 0) {
      const std::size_t lp = read_op(h.last_present);
      view_.append_witness(lp, a.witness);
      a.details["last_present_read"] = view_.describe(lp);
      text += ", last seen by the read that began at " + detail::format_duration(read_begin_time(h.last_present)) + ",";
    } else {
      a.details["last_present_read"] = nullptr;
      text += ", never returned by any read,";
    }
    const std::size_t first = read_op(from), last = read_op(R - 1);
    view_.append_witness(first, a.witness);
    view_.append_witness(last, a.witness);
    a.details["first_missing_read"] = view_.describe(first);
    a.details["final_read"] = view_.describe(last);
    a.details["missing_reads"] = missing;
    a.details["lost_latency_ms"] = x.score;
    if (missing == 1) {
      text += " and missing from the final read, which began at " + detail::format_duration(read_begin_time(R - 1));
    } else {
      text += " and missing from all " + std::to_string(missing) + " reads that began from " +
              detail::format_duration(read_begin_time(from)) + " on, including the final read at " +
              detail::format_duration(read_begin_time(R - 1));
    }
    a.description = text;
    dedup(a.witness);
    return a;
  }

  Anomaly render_stale(const Candidate& x) const {
    const auto id = static_cast<std::size_t>(x.id);
    const Cold& c = cold_[id];
    Anomaly a;
    a.kind = "stale";
    a.details = base_details(x.element);
    add_known(id, a);
    const std::size_t miss = read_op(c.last_absent), next = read_op(c.last_absent + 1);
    view_.append_witness(miss, a.witness);
    view_.append_witness(next, a.witness);
    a.details["stale_read"] = view_.describe(miss);
    a.details["next_read"] = view_.describe(next);
    a.details["stale_latency_ms"] = x.score;
    a.details["invalidates"] = options_.strict;
    a.description = name_element(x.element) + " was " + known_phrase(id) + ", yet the read that began at " +
                    detail::format_duration(read_begin_time(c.last_absent)) + " (" +
                    detail::format_duration(read_begin_time(c.last_absent) - known_time(id)) +
                    " later) did not return it; every read from " +
                    detail::format_duration(read_begin_time(c.last_absent + 1)) + " on did";
    dedup(a.witness);
    return a;
  }

  Anomaly render_duplicated(const Candidate& x) const {
    Anomaly a;
    a.kind = "duplicated";
    a.details = base_details(x.element);
    const std::size_t r = read_op(x.read);
    view_.append_witness(r, a.witness);
    a.details["read"] = view_.describe(r);
    a.details["multiplicity"] = static_cast<int>(x.score);
    a.description = "the read that began at " + detail::format_duration(read_begin_time(x.read)) + " returned " +
                    name_element(x.element) + " " + std::to_string(static_cast<int>(x.score)) +
                    " times; a set holds each element once";
    return a;
  }

  Anomaly render_unexpected(const Candidate& x) const {
    Anomaly a;
    a.kind = "unexpected";
    a.details = base_details(x.element);
    const std::size_t r = read_op(x.read);
    const std::string when = detail::format_duration(read_begin_time(x.read));
    switch (x.flavour) {
      case kNeverAdded:
        view_.append_witness(r, a.witness);
        a.details["reason"] = "never-added";
        a.description = "the read that began at " + when + " returned " + name_element(x.element) +
                        ", which no operation ever tried to add";
        break;
      case kFailedAdd: {
        const std::size_t add = cold_[static_cast<std::size_t>(x.id)].add_op;
        view_.append_witness(add, a.witness);
        view_.append_witness(r, a.witness);
        a.details["reason"] = "failed-add";
        a.details["add"] = view_.describe(add);
        a.description = "the add of " + name_element(x.element) + " failed (so it was never applied), yet the read that began at " +
                        when + " returned it";
        break;
      }
      default: {
        const std::size_t add = cold_[static_cast<std::size_t>(x.id)].add_op;
        view_.append_witness(r, a.witness);
        view_.append_witness(add, a.witness);
        a.details["reason"] = "read-before-add";
        a.details["add"] = view_.describe(add);
        a.description = "the read that ended at " + detail::format_duration(view_.complete_time(r)) + " returned " +
                        name_element(x.element) + ", whose add only began at " +
                        detail::format_duration(view_.invoke_time(add));
        break;
      }
    }
    a.details["read"] = view_.describe(r);
    dedup(a.witness);
    return a;
  }

  const HistoryView& view_;
  const HistoryView::KeyGroup& group_;
  std::size_t key_order_;
  const SetFullOptions& options_;
  SetTotals& totals_;

  std::vector<std::size_t> adds_;
  std::vector<Read> reads_;
  std::optional<detail::ElementIndex> index_;
  std::vector<Hot> hot_;
  std::vector<Cold> cold_;
  std::vector<std::int64_t> latest_end_from_;
  std::map<std::int64_t, std::int32_t> never_added_;  // value -> earliest read returning it
  std::vector<std::pair<std::int32_t, std::int32_t>> duplicates_;  // (id, read) per extra copy
};

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
