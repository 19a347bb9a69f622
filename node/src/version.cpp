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

std::optional<std::string> context_error(const VersionVector& context, const VersionVector& issued) {
  for (const auto& [node, bound] : issued) {
    auto it = context.find(node);
    if (it != context.end() && it->second > bound)
      return "context names " + node + ":" + std::to_string(it->second) + ", but " + node +
             " has issued at most " + std::to_string(bound);
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

Record merge_vv(const Record& a, const Record& b) {
  std::map<Dot, Sibling> by_dot;
  for (const Record* r : {&a, &b})
    for (const auto& s : r->siblings) {
      // A write cannot have seen itself: such a sibling is forged or corrupt,
      // and kept it would obsolete itself and its dot's later neighbours.
      // Dropping it on every merge keeps merge commutative and idempotent.
      if (self_covering(s)) continue;
      auto [it, inserted] = by_dot.emplace(s.dot, s);
      // One dot is one write; if copies differ (they should not), keep a
      // deterministic one so replicas still converge.
      if (!inserted && sibling_key(it->second) < sibling_key(s)) it->second = s;
    }
  Record out;
  for (const auto& [dot, s] : by_dot) {
    bool obsolete = false;
    for (const auto& [other_dot, other] : by_dot)
      if (other_dot != dot && covers(other.context, dot)) {
        obsolete = true;
        break;
      }
    if (!obsolete) out.siblings.push_back(s);
  }
  return out;  // std::map iteration order: sorted by dot
}

}  // namespace

Record merge(const Record& a, const Record& b, Versioning mode) {
  return mode == Versioning::kVv ? merge_vv(a, b) : merge_lww(a, b);
}

bool is_stale(const Record& replica, const Record& merged, Versioning mode) {
  return merge(replica, merged, mode) != merge(replica, Record{}, mode);
}

VersionVector causal_context(const Record& r) {
  VersionVector out;
  for (const auto& s : r.siblings) {
    out = join(out, s.context);
    if (!s.dot.node.empty()) out[s.dot.node] = std::max(out[s.dot.node], s.dot.counter);
  }
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
  for (const auto& s : r.siblings)
    if (s.dot.node == node) best = std::max(best, s.dot.counter);
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
  return arr;
}

Record record_from_json(const Json& j) {
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
      }
      r.siblings.push_back(std::move(s));
    }
  } catch (const Json::exception& e) {
    throw std::invalid_argument(std::string("record: ") + e.what());
  }
  return r;
}

}  // namespace faultline::node
