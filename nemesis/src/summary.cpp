#include "faultline/nemesis/summary.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace faultline::nemesis {
namespace {

using nlohmann::json;

// "+37 s", "-1.5 s", "+250 ms": the sign always shown (a skew's direction matters).
std::string signed_duration(std::int64_t ms) {
  char buf[48];
  if (std::llabs(ms) >= 10000) {
    std::snprintf(buf, sizeof buf, "%+.0f s", static_cast<double>(ms) / 1000.0);
  } else if (std::llabs(ms) >= 1000) {
    std::snprintf(buf, sizeof buf, "%+.1f s", static_cast<double>(ms) / 1000.0);
  } else {
    std::snprintf(buf, sizeof buf, "%+lld ms", static_cast<long long>(ms));
  }
  return buf;
}

std::string number(const json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v.get<double>());
    return buf;
  }
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string packet(const json& p) {
  const std::string kind = p.value("kind", "");
  if (kind.empty()) return "packet";
  if (kind == "delay" && p.contains("delay_ms")) return "packet delay " + number(p["delay_ms"]) + " ms";
  if (kind == "rate" && p.contains("rate_kbit")) return "packet rate " + number(p["rate_kbit"]) + " kbit/s";
  if (p.contains(kind)) return "packet " + kind + " " + number(p[kind]) + "%";
  return "packet " + kind;
}

std::string clock(const json& p) {
  const std::string mode = p.value("mode", "");
  if (mode == "strobe" && p.contains("delta_ms") && p["delta_ms"].is_number_integer()) {
    // The strobe jumps by delta and back: "±2.5 s", not a sign.
    const std::string d = signed_duration(std::llabs(p["delta_ms"].get<std::int64_t>()));
    std::string s = "clock strobe \u00b1" + d.substr(1);
    if (p.contains("period_ms")) s += " every " + number(p["period_ms"]) + " ms";
    return s;
  }
  if (mode == "bump" && p.contains("offsets_ms") && p["offsets_ms"].is_object() && !p["offsets_ms"].empty()) {
    // The largest skew of the window, with its sign.
    std::int64_t worst = 0;
    for (const auto& [node, off] : p["offsets_ms"].items())
      if (off.is_number_integer() && std::llabs(off.get<std::int64_t>()) > std::llabs(worst)) worst = off.get<std::int64_t>();
    return "clock bump " + signed_duration(worst);
  }
  return mode.empty() ? "clock" : "clock " + mode;
}

}  // namespace

std::string describe_window(const std::string& fault, const json& params) {
  const json& p = params.is_object() ? params : json::object();
  if (fault == "packet") return packet(p);
  if (fault == "clock") return clock(p);
  if (fault == "partition" && p.contains("topology") && p["topology"].is_string())
    return "partition " + p["topology"].get<std::string>();
  return fault;
}

std::string describe_windows(const std::vector<std::pair<std::string, json>>& starts) {
  if (starts.empty()) return "no fault injected";
  std::vector<std::pair<std::string, int>> seen;  // description, count; first appearance first
  for (const auto& [fault, params] : starts) {
    const std::string d = describe_window(fault, params);
    bool found = false;
    for (auto& [s, n] : seen)
      if (s == d) ++n, found = true;
    if (!found) seen.emplace_back(d, 1);
  }
  std::string out = std::to_string(starts.size()) + (starts.size() == 1 ? " fault window: " : " fault windows: ");
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (i > 0) out += ", ";
    out += seen[i].first;
    if (seen[i].second > 1) out += " \u00d7" + std::to_string(seen[i].second);
  }
  return out;
}

}  // namespace faultline::nemesis
