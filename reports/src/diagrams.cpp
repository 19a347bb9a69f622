#include "diagrams.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "faultline/reports/text_format.h"

namespace faultline::reports {
namespace {

// A DOT double-quoted string.
std::string q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

const char* outcome_colour(const std::string& outcome) {
  if (outcome == "ok") return "#2e7d32";
  if (outcome == "fail") return "#c62828";
  return "#ef6c00";
}

std::string fault_colour(const std::string& fault) {
  if (fault == "partition") return "#e57373";
  if (fault == "packet" || fault == "netem") return "#ffb74d";
  if (fault == "pause") return "#90caf9";
  if (fault == "kill") return "#b0bec5";
  if (fault == "clock") return "#ce93d8";
  if (fault == "zombie") return "#a1887f";
  return "#fff176";
}

std::string short_value(const std::string& v) { return v.size() > 24 ? v.substr(0, 21) + "..." : v; }

}  // namespace

std::string partition_dot(const FaultWindow& w, const std::vector<std::string>& cluster) {
  if (!w.params.is_object() || !w.params.contains("grudge") || !w.params["grudge"].is_object()) return "";
  const Json& g = w.params["grudge"];
  std::set<std::string> nodes(cluster.begin(), cluster.end());
  std::map<std::string, std::set<std::string>> drops;
  for (auto it = g.begin(); it != g.end(); ++it) {
    nodes.insert(it.key());
    if (!it.value().is_array()) continue;
    for (const auto& d : it.value()) {
      if (!d.is_string()) continue;
      drops[it.key()].insert(d.get<std::string>());
      nodes.insert(d.get<std::string>());
    }
  }
  auto flows = [&](const std::string& from, const std::string& to) {  // does `to` accept from `from`?
    auto it = drops.find(to);
    return it == drops.end() || !it->second.count(from);
  };
  std::ostringstream dot;
  dot << "digraph partition {\n  layout=circo; bgcolor=transparent; label=" << q(w.label())
      << "; fontsize=10; fontname=\"sans-serif\";\n  node [shape=circle, fontname=\"sans-serif\", fontsize=11];\n";
  for (const auto& n : nodes) dot << "  " << q(n) << ";\n";
  std::vector<std::string> v(nodes.begin(), nodes.end());
  for (std::size_t i = 0; i < v.size(); ++i) {
    for (std::size_t j = i + 1; j < v.size(); ++j) {
      const bool ab = flows(v[i], v[j]), ba = flows(v[j], v[i]);
      if (ab && ba) dot << "  " << q(v[i]) << " -> " << q(v[j]) << " [dir=none, color=\"#607d8b\"];\n";
      else if (ab) dot << "  " << q(v[i]) << " -> " << q(v[j]) << " [color=\"#c62828\", style=dashed];\n";
      else if (ba) dot << "  " << q(v[j]) << " -> " << q(v[i]) << " [color=\"#c62828\", style=dashed];\n";
    }
  }
  dot << "}\n";
  return dot.str();
}

std::string precedence_dot(const AnomalyView& a) {
  const auto& ops = a.witness;
  if (ops.size() < 2) return "";
  const std::size_t n = ops.size();
  auto before = [&](std::size_t i, std::size_t j) { return ops[i].outcome != "info" && ops[i].end < ops[j].start; };
  std::ostringstream dot;
  dot << "digraph precedence {\n  rankdir=LR; bgcolor=transparent; fontname=\"sans-serif\";\n"
         "  node [shape=box, style=rounded, fontname=\"sans-serif\", fontsize=10];\n"
         "  edge [fontname=\"sans-serif\", fontsize=9];\n";
  for (std::size_t i = 0; i < n; ++i) {
    const auto& o = ops[i];
    const std::string label = "P" + std::to_string(o.process) + " " + o.f + (o.key.empty() ? "" : " " + o.key) + " " +
                              short_value(o.value) + "\n" + precise_seconds_text(o.start) + " - " + precise_seconds_text(o.end) + " (" +
                              o.outcome + ")";
    dot << "  op" << i << " [label=" << q(label) << ", color=" << q(outcome_colour(o.outcome)) << "];\n";
  }
  // Real-time order, transitively reduced: skip i -> j when some k sits between.
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      if (i == j || !before(i, j)) continue;
      bool via = false;
      for (std::size_t k = 0; k < n && !via; ++k) via = k != i && k != j && before(i, k) && before(k, j);
      if (!via) dot << "  op" << i << " -> op" << j << " [color=\"#455a64\"];\n";
    }
  }
  // Reads-from: the write whose value a read returned.
  for (std::size_t w = 0; w < n; ++w) {
    if (ops[w].f != "write") continue;
    for (std::size_t r = 0; r < n; ++r) {
      if (ops[r].f != "read" || ops[r].outcome != "ok" || ops[r].key != ops[w].key || ops[r].value != ops[w].value)
        continue;
      dot << "  op" << w << " -> op" << r << " [style=dashed, color=\"#1565c0\", label=\"read its value\", constraint=false];\n";
    }
  }
  dot << "}\n";
  return dot.str();
}

std::string anomaly_timeline_svg(const AnomalyView& a) {
  if (a.witness.empty()) return "";
  const std::int64_t span = std::max<std::int64_t>(a.to - a.from, 1'000'000);
  const std::int64_t pad = std::max<std::int64_t>(span / 8, 20'000'000);
  const std::int64_t t0 = a.from - pad, t1 = a.to + pad;
  std::vector<std::int64_t> procs;
  for (const auto& w : a.witness) procs.push_back(w.process);
  std::sort(procs.begin(), procs.end());
  procs.erase(std::unique(procs.begin(), procs.end()), procs.end());
  const int left = 56, width = 640, row = 26, top = 18;
  const int height = top + row * static_cast<int>(procs.size()) + 22;
  auto x = [&](std::int64_t t) {
    const double f = static_cast<double>(std::clamp(t, t0, t1) - t0) / static_cast<double>(t1 - t0);
    return left + f * (width - left - 8);
  };
  std::ostringstream s;
  char buf[256];
  s << "<svg class=\"mini-timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" viewBox=\"0 0 " << width << " " << height << "\">";
  for (const auto& f : a.faults) {
    std::snprintf(buf, sizeof buf, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" opacity=\"0.3\">",
                  x(f.start), top - 4, std::max(1.0, x(f.stop) - x(f.start)), row * static_cast<int>(procs.size()) + 4,
                  fault_colour(f.fault).c_str());
    s << buf << "<title>" << html_escape(f.label()) << "</title></rect>";
  }
  for (std::size_t p = 0; p < procs.size(); ++p) {
    s << "<text x=\"4\" y=\"" << top + row * static_cast<int>(p) + 14 << "\" font-size=\"11\">P" << procs[p]
      << "</text>";
  }
  for (const auto& w : a.witness) {
    const auto p = std::find(procs.begin(), procs.end(), w.process) - procs.begin();
    const double x0 = x(w.start), x1 = std::max(x(w.end), x0 + 2);
    const int y = top + row * static_cast<int>(p);
    std::snprintf(buf, sizeof buf, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" rx=\"3\" fill=\"%s\">", x0, y,
                  x1 - x0, outcome_colour(w.outcome));
    s << buf << "<title>" << html_escape(w.f + " " + w.key + " " + w.value + " (" + w.outcome + ") " +
                                         precise_seconds_text(w.start) + " - " + precise_seconds_text(w.end) + ", index " +
                                         std::to_string(w.invoke_index))
      << "</title></rect>";
    std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#000\">", x1 + 3, y + 13);
    s << buf << html_escape(w.f + " " + short_value(w.value)) << "</text>";
  }
  const int axis = top + row * static_cast<int>(procs.size()) + 14;
  for (int i = 0; i <= 4; ++i) {
    const std::int64_t t = t0 + (t1 - t0) * i / 4;
    // The end ticks anchor inward so their labels stay inside the picture.
    const char* anchor = i == 0 ? "start" : i == 4 ? "end" : "middle";
    std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#555\" text-anchor=\"%s\">",
                  x(t), axis, anchor);
    s << buf << precise_seconds_text(t) << "</text>";
  }
  s << "</svg>";
  return s.str();
}

std::string inline_svg(const std::string& svg) {
  const auto at = svg.find("<svg");
  return at == std::string::npos ? svg : svg.substr(at);
}

}  // namespace faultline::reports
