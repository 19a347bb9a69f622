// The words and witnesses of each set-full anomaly: what a reader of the
// report sees for a lost, stale, duplicated or unexpected element.
#include "set_full_key.h"

namespace faultline::check::set_full {

std::string SetKeyCheck::name_element(std::int64_t element) const {
  const std::string key = detail::key_phrase(group_.key);
  return (key.empty() ? "element " : key + " element ") + std::to_string(element);
}

Json SetKeyCheck::base_details(std::int64_t element) const {
  Json d = {{"element", element}};
  if (totals_.keyed) d["key"] = detail::key_json(group_.key);
  return d;
}

std::string SetKeyCheck::known_phrase(std::size_t id) const {
  return (known_by_add(id) ? "acknowledged at " : "first seen by the read that ended at ") +
         detail::format_duration(known_time(id));
}

void SetKeyCheck::add_known(std::size_t id, Anomaly& a) const {
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

void SetKeyCheck::dedup(std::vector<std::int64_t>& witness) {
  std::vector<std::int64_t> out;
  for (std::int64_t w : witness) {
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  }
  witness = std::move(out);
}

Anomaly SetKeyCheck::render_lost(const Candidate& x) const {
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

Anomaly SetKeyCheck::render_stale(const Candidate& x) const {
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

Anomaly SetKeyCheck::render_duplicated(const Candidate& x) const {
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

Anomaly SetKeyCheck::render_unexpected(const Candidate& x) const {
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

}  // namespace faultline::check::set_full
