#include "faultline/node/version.h"

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace faultline::node {

using Json = nlohmann::json;

bool descends(const VersionVector& a, const VersionVector& b) {
  for (const auto& [node, counter] : b) {
    auto it = a.find(node);
    if (it == a.end() || it->second < counter) return false;
  }
  return true;
}

VersionVector join(const VersionVector& a, const VersionVector& b) {
  VersionVector out = a;
  for (const auto& [node, counter] : b) out[node] = std::max(out[node], counter);
  return out;
}

bool covers(const VersionVector& context, const Dot& dot) {
  auto it = context.find(dot.node);
  return it != context.end() && it->second >= dot.counter;
}

bool self_covering(const Sibling& s) { return !s.dot.node.empty() && covers(s.context, s.dot); }

std::optional<std::string> context_error(const VersionVector& context, const VersionVector& issued,
                                         std::optional<std::uint64_t> others_bound) {
  for (const auto& [node, bound] : issued) {
    auto it = context.find(node);
    if (it != context.end() && it->second > bound)
      return "context names " + node + ":" + std::to_string(it->second) + ", but " + node +
             " has issued at most " + std::to_string(bound);
  }
  if (others_bound)
    for (const auto& [node, counter] : context)
      if (!issued.count(node) && counter > *others_bound)
        return "context names " + node + ":" + std::to_string(counter) +
               ", beyond any counter a node can have issued by now (" + std::to_string(*others_bound) +
               ": this node's clock plus max_clock_skew_ms, in us)";
  return std::nullopt;
}

std::optional<std::string> record_error(const Record& r, std::uint64_t bound) {
  auto beyond = [&](const std::string& what, const std::string& node, std::uint64_t counter) {
    return "record: " + what + " names " + node + ":" + std::to_string(counter) + ", beyond " +
           std::to_string(bound) + " (this node's clock plus twice max_clock_skew_ms, in us)";
  };
  for (const auto& [node, counter] : r.context)
    if (counter > bound) return beyond("context", node, counter);
  for (const auto& s : r.siblings) {
    if (s.dot.counter > bound) return beyond("dot", s.dot.node, s.dot.counter);
    for (const auto& [node, counter] : s.context)
      if (counter > bound) return beyond("sibling context", node, counter);
  }
  return std::nullopt;
}

namespace {

// A total order on siblings, so merge is deterministic when stamps tie (the
// same write delivered twice, or two writes stamped identically).
auto sibling_key(const Sibling& s) { return std::tie(s.stamp, s.dot, s.value, s.context); }

Record merge_lww(const Record& a, const Record& b) {
  const Sibling* best = nullptr;
  for (const Record* r : {&a, &b})
    for (const auto& s : r->siblings)
      if (!best || sibling_key(*best) < sibling_key(s)) best = &s;
  Record out;
  if (best) out.siblings.push_back(*best);
  return out;
}

// The join of the siblings' contexts: what C must cover at least. Their own
// dots are not in it: counters are per node, not per key, so "n1 up to 5"
// would claim n1:3 was seen when only n1:5 was (two concurrent writes
// through n1); live dots are points, only contexts (what writers read) are
// ranges.
VersionVector siblings_context(const std::vector<Sibling>& siblings) {
  VersionVector out;
  for (const auto& s : siblings) out = join(out, s.context);
  return out;
}

Record normalise_vv(const Record& r, NormaliseReport* report) {
  NormaliseReport local;
  NormaliseReport& rep = report ? *report : local;
  std::map<Dot, Sibling> by_dot;
  for (const auto& s : r.siblings) {
    // A write cannot have seen itself, and every vv write has a dot: such a
    // sibling is forged or corrupt. Dropped before its context can enter C,
    // where it would cover its node's later writes.
    if (s.dot.node.empty()) {
      ++rep.dotless;
      continue;
    }
    if (self_covering(s)) {
      ++rep.self_covering;
      continue;
    }
    auto [it, inserted] = by_dot.emplace(s.dot, s);
    // One dot is one write; if copies differ (they should not), keep a
    // deterministic one so replicas still converge.
    if (!inserted && sibling_key(it->second) < sibling_key(s)) it->second = s;
  }
  Record out;
  out.context = r.context;
  for (const auto& [dot, s] : by_dot) out.context = join(out.context, s.context);
  // Live siblings are concurrent: one that C covers (another sibling's
  // context, or one superseded before) is superseded. Both members of a
  // cycle go. Afterwards C covers no live sibling, which joins preserve.
  for (const auto& [dot, s] : by_dot) {
    if (covers(out.context, dot))
      ++rep.covered;
    else
      out.siblings.push_back(s);
  }
  return out;  // std::map iteration order: sorted by dot
}

// The join of two normalised states: a sibling survives if both hold it or
// the other side has not seen its dot (then it cannot have superseded it).
Record join_vv(const Record& a, const Record& b) {
  std::map<Dot, Sibling> live;
  auto keep = [&](const Record& self, const Record& other) {
    for (const auto& s : self.siblings) {
      const bool other_holds = std::any_of(other.siblings.begin(), other.siblings.end(),
                                           [&](const Sibling& o) { return o.dot == s.dot; });
      if (!other_holds && covers(other.context, s.dot)) continue;  // the other side superseded it
      auto [it, inserted] = live.emplace(s.dot, s);
      if (!inserted && sibling_key(it->second) < sibling_key(s)) it->second = s;
    }
  };
  keep(a, b);
  keep(b, a);
  Record out;
  out.context = join(a.context, b.context);
  for (auto& [dot, s] : live) out.siblings.push_back(std::move(s));
  return out;
}

Record merge_vv(const Record& a, const Record& b) { return join_vv(normalise_vv(a, nullptr), normalise_vv(b, nullptr)); }

}  // namespace

Record merge(const Record& a, const Record& b, Versioning mode) {
  return mode == Versioning::kVv ? merge_vv(a, b) : merge_lww(a, b);
}

Record normalise(const Record& r, Versioning mode, NormaliseReport* report) {
  return mode == Versioning::kVv ? normalise_vv(r, report) : merge_lww(r, Record{});
}

bool is_stale(const Record& replica, const Record& merged, Versioning mode) {
  return merge(replica, merged, mode) != merge(replica, Record{}, mode);
}

VersionVector causal_context(const Record& r) {
  VersionVector out = join(r.context, siblings_context(r.siblings));
  for (const auto& s : r.siblings)
    if (!s.dot.node.empty()) out[s.dot.node] = std::max(out[s.dot.node], s.dot.counter);
  return out;
}

std::optional<Stamp> max_stamp(const Record& r) {
  std::optional<Stamp> best;
  for (const auto& s : r.siblings)
    if (!best || *best < s.stamp) best = s.stamp;
  return best;
}

std::uint64_t max_own_counter(const Record& r, const std::string& node) {
  std::uint64_t best = 0;
  auto see = [&](const VersionVector& vv) {
    if (auto it = vv.find(node); it != vv.end()) best = std::max(best, it->second);
  };
  see(r.context);
  for (const auto& s : r.siblings) {
    if (s.dot.node == node) best = std::max(best, s.dot.counter);
    see(s.context);
  }
  return best;
}

std::vector<std::string> live_values(const Record& r) {
  std::vector<std::string> out;
  for (const auto& s : r.siblings)
    if (s.value) out.push_back(*s.value);
  std::sort(out.begin(), out.end());
  return out;
}

Json to_json(const VersionVector& vv) {
  Json j = Json::object();
  for (const auto& [node, counter] : vv) j[node] = counter;
  return j;
}

VersionVector vv_from_json(const Json& j) {
  if (j.is_null()) return {};
  if (!j.is_object()) throw std::invalid_argument("version vector: expected an object");
  VersionVector vv;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_number_integer())
      throw std::invalid_argument("version vector: counters are non-negative integers");
    // Unsigned first: a counter above 2^63 - 1 is valid, not negative.
    if (!it.value().is_number_unsigned() && it.value().get<std::int64_t>() < 0)
      throw std::invalid_argument("version vector: negative counter");
    vv[it.key()] = it.value().get<std::uint64_t>();
  }
  return vv;
}

Json to_json(const Record& r) {
  Json arr = Json::array();
  for (const auto& s : r.siblings) {
    Json js = {{"ts", {s.stamp.wall, s.stamp.logical, s.stamp.node}}};
    if (s.value) js["v"] = *s.value;
    if (!s.dot.node.empty()) {
      js["dot"] = {s.dot.node, s.dot.counter};
      js["ctx"] = to_json(s.context);
    }
    arr.push_back(std::move(js));
  }
  // Every real write's C is what its siblings name: the array alone (the
  // format before C existed) says it. Only a merge that superseded siblings
  // whose contexts the survivors lack needs C spelled out.
  if (r.context == siblings_context(r.siblings)) return arr;
  return Json{{"siblings", std::move(arr)}, {"context", to_json(r.context)}};
}

Record record_from_json(const Json& j_in) {
  const Json* jp = &j_in;
  bool explicit_context = false;
  if (j_in.is_object()) {
    if (!j_in.contains("siblings") || !j_in.contains("context"))
      throw std::invalid_argument("record: expected an array of siblings or {\"siblings\", \"context\"}");
    jp = &j_in["siblings"];
    explicit_context = true;
  }
  const Json& j = *jp;
  if (!j.is_array()) throw std::invalid_argument("record: expected an array of siblings");
  Record r;
  try {
    for (const auto& js : j) {
      if (!js.is_object()) throw std::invalid_argument("record: sibling is not an object");
      Sibling s;
      const Json& ts = js.at("ts");
      if (!ts.is_array() || ts.size() != 3) throw std::invalid_argument("record: ts is [wall, logical, node]");
      if (!ts[0].is_number_integer() || !ts[1].is_number_unsigned() || ts[1].get<std::uint64_t>() > 0xffffffffULL)
        throw std::invalid_argument("record: ts wall and logical must be integers, logical >= 0");
      // Unsigned first: a wall above 2^63 - 1 would read back negative.
      const bool wall_ok = ts[0].is_number_unsigned()
                               ? ts[0].get<std::uint64_t>() <= static_cast<std::uint64_t>(kMaxStampWall)
                               : ts[0].get<std::int64_t>() >= -kMaxStampWall && ts[0].get<std::int64_t>() <= kMaxStampWall;
      if (!wall_ok) throw std::invalid_argument("record: ts wall out of range (|wall| <= 2^62 microseconds)");
      s.stamp = {ts[0].get<std::int64_t>(), ts[1].get<std::uint32_t>(), ts[2].get<std::string>()};
      if (js.contains("v")) s.value = js["v"].get<std::string>();
      if (js.contains("dot")) {
        const Json& d = js["dot"];
        if (!d.is_array() || d.size() != 2 || !d[1].is_number_unsigned())
          throw std::invalid_argument("record: dot is [node, counter >= 0]");
        if (d[1].get<std::uint64_t>() > kMaxDotCounter)
          throw std::invalid_argument("record: dot counter out of range (<= 2^62)");
        s.dot = {d[0].get<std::string>(), d[1].get<std::uint64_t>()};
        s.context = vv_from_json(js.value("ctx", Json::object()));
        for (const auto& [node, counter] : s.context)
          if (counter > kMaxDotCounter) throw std::invalid_argument("record: ctx counter out of range (<= 2^62)");
      }
      r.siblings.push_back(std::move(s));
    }
    r.context = explicit_context ? vv_from_json(j_in["context"]) : siblings_context(r.siblings);
    if (explicit_context)
      for (const auto& [node, counter] : r.context)
        if (counter > kMaxDotCounter) throw std::invalid_argument("record: context counter out of range (<= 2^62)");
  } catch (const Json::exception& e) {
    throw std::invalid_argument(std::string("record: ") + e.what());
  }
  return r;
}

}  // namespace faultline::node
