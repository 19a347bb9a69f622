#include "set_full_key.h"

#include "latency_quantiles.h"

namespace faultline::check::set_full {

void SetKeyCheck::collect_ops() {
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

void SetKeyCheck::index_elements() {
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

void SetKeyCheck::check_reads() {
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

void SetKeyCheck::place_adds() {
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

void SetKeyCheck::walk_reads() {
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

void SetKeyCheck::classify() {
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

void SetKeyCheck::put_list(const std::string& name, std::string ranges) {
  if (!totals_.keyed) {
    totals_.lists[name] = std::move(ranges);
  } else if (!ranges.empty()) {
    totals_.lists[name][detail::key_label(group_.key)] = std::move(ranges);
  }
}

}  // namespace faultline::check::set_full
