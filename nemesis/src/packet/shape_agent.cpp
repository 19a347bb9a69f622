#include "packet/shape_agent.h"

#include <charconv>
#include <cstdio>
#include <map>
#include <sstream>

namespace faultline::nemesis {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string millis(std::chrono::microseconds us) { return number(static_cast<double>(us.count()) / 1000.0); }

// "key=value" words of a line after its first word `head`; nullopt when the
// line does not start with it.
std::optional<std::map<std::string, std::string>> fields_after(std::string_view line, std::string_view head) {
  std::istringstream in{std::string(line)};
  std::string word;
  if (!(in >> word) || word != head) return std::nullopt;
  std::map<std::string, std::string> fields;
  while (in >> word) {
    auto eq = word.find('=');
    if (eq == std::string::npos) return std::nullopt;
    fields[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return fields;
}

bool to_u64(const std::string& text, std::uint64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::vector<std::string> shape_agent_args(const ShaperOptions& o, double duration_s) {
  std::vector<std::string> args = {"shape", "--queue", std::to_string(o.queue)};
  std::string dst;
  for (const auto& d : o.destinations) dst += (dst.empty() ? "" : ",") + d;
  args.insert(args.end(), {"--dst", dst, "--seed", std::to_string(o.seed)});
  const ShapeParams& p = o.params;
  auto add = [&](const char* flag, const std::string& value) { args.insert(args.end(), {flag, value}); };
  if (p.delay.count() > 0) add("--delay-ms", millis(p.delay));
  if (p.jitter.count() > 0) {
    add("--jitter-ms", millis(p.jitter));
    add("--distribution", p.distribution == JitterDistribution::normal ? "normal" : "uniform");
  }
  for (auto [flag, value] : probability_flags(p)) {
    if (value > 0) add(flag, number(value));
  }
  if (p.rate_kbit > 0) add("--rate-kbit", std::to_string(p.rate_kbit));
  if (p.limit != ShapeParams{}.limit) add("--limit", std::to_string(p.limit));
  if (o.kernel_queue_max != ShaperOptions{}.kernel_queue_max) add("--queue-max", std::to_string(o.kernel_queue_max));
  if (o.rules != ShapeRules::automatic) add("--rules", std::string(shape_rules_name(o.rules)));
  if (duration_s > 0) add("--duration-s", number(duration_s));
  return args;
}

std::optional<ShapeReady> parse_shape_ready_line(std::string_view line) {
  auto fields = fields_after(line, "shaping");
  if (!fields) return std::nullopt;
  ShapeReady ready;
  std::uint64_t queue = 0;
  if (!to_u64((*fields)["queue"], &queue) || queue > 65535) return std::nullopt;
  ready.queue = static_cast<std::uint16_t>(queue);
  std::istringstream dst((*fields)["dst"]);
  for (std::string d; std::getline(dst, d, ',');) ready.destinations.push_back(d);
  ready.mechanism = (*fields)["mechanism"];
  ready.rules = (*fields)["rules"];
  if (ready.destinations.empty() || ready.mechanism.empty()) return std::nullopt;
  return ready;
}

std::optional<ShaperStats> parse_shaper_stats_line(std::string_view line) {
  auto fields = fields_after(line, "stopped");
  if (!fields) return std::nullopt;
  ShaperStats s;
  for (auto [key, into] : {std::pair{"seen", &s.seen},
                           {"passed", &s.passed},
                           {"delayed", &s.delayed},
                           {"dropped", &s.dropped},
                           {"reordered", &s.reordered},
                           {"corrupted", &s.corrupted},
                           {"duplicated", &s.duplicated},
                           {"overflow", &s.overflow},
                           {"overruns", &s.overruns},
                           {"verdict_errors", &s.verdict_errors},
                           {"released_at_stop", &s.released_at_stop}}) {
    auto it = fields->find(key);
    if (it == fields->end() || !to_u64(it->second, into)) return std::nullopt;
  }
  return s;
}

}  // namespace faultline::nemesis
