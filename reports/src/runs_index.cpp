#include "faultline/reports/runs_index.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "report_assets.h"
#include "faultline/reports/text_format.h"

namespace faultline::reports {
namespace {


std::string anomaly_text(const nlohmann::json& anomalies) {
  std::string out;
  if (!anomalies.is_object()) return out;
  for (auto it = anomalies.begin(); it != anomalies.end(); ++it)
    out += (out.empty() ? "" : ", ") + it.key() + " " + it.value().dump();
  return out;
}

// Stacked bars, one per commit: valid, unknown, error, invalid.
std::string trend_svg(const std::vector<CommitTrend>& trend) {
  if (trend.empty()) return "<p>No runs yet.</p>";
  int most = 1;
  for (const auto& t : trend) most = std::max(most, t.valid + t.invalid + t.unknown + t.error);
  const int bar = 48, gap = 8, h = 120, left = 30;  // wide enough for a 7-character commit
  const int width = left + static_cast<int>(trend.size()) * (bar + gap) + 10;
  std::ostringstream s;
  char buf[200];
  s << "<svg id=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << h + 40 << "\">";
  s << "<text x=\"2\" y=\"12\" font-size=\"10\">" << most << "</text><text x=\"2\" y=\"" << h + 8
    << "\" font-size=\"10\">0</text>";
  for (std::size_t i = 0; i < trend.size(); ++i) {
    const auto& t = trend[i];
    const int x = left + static_cast<int>(i) * (bar + gap);
    double y = h + 8;
    const std::pair<int, const char*> parts[] = {
        {t.valid, "#2e7d32"}, {t.unknown, "#ef6c00"}, {t.error, "#6d4c41"}, {t.invalid, "#c62828"}};
    for (const auto& [n, colour] : parts) {
      if (n == 0) continue;
      const double hh = static_cast<double>(n) / most * h;
      y -= hh;
      std::snprintf(buf, sizeof buf, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\">", x, y, bar, hh,
                    colour);
      s << buf << "<title>" << esc(t.commit.substr(0, 12)) << ": " << t.valid << " valid, " << t.invalid
        << " invalid, " << t.unknown << " unknown, " << t.error << " error</title></rect>";
    }
    s << "<text x=\"" << x + bar / 2 << "\" y=\"" << h + 24 << "\" font-size=\"9\" text-anchor=\"middle\">"
      << esc(t.commit.substr(0, 7)) << "</text>";
  }
  s << "</svg>";
  return s.str();
}

}  // namespace

std::vector<CommitTrend> verdict_trend(const std::vector<IndexRun>& runs) {
  // Oldest first, so commits appear in the order they were first tested.
  std::vector<const IndexRun*> by_time;
  for (const auto& r : runs) by_time.push_back(&r);
  std::stable_sort(by_time.begin(), by_time.end(),
                   [](const IndexRun* a, const IndexRun* b) { return a->started_at < b->started_at; });
  std::vector<CommitTrend> out;
  std::map<std::string, std::size_t> at;
  for (const auto* r : by_time) {
    const std::string commit = r->commit.empty() ? "unknown" : r->commit;
    auto [it, fresh] = at.emplace(commit, out.size());
    if (fresh) out.push_back({commit});
    auto& t = out[it->second];
    if (r->verdict == "valid") ++t.valid;
    else if (r->verdict == "invalid") ++t.invalid;
    else if (r->verdict == "error") ++t.error;
    else ++t.unknown;  // unknown, and running (a controller that died)
  }
  return out;
}

std::string render_runs_index(const std::vector<IndexRun>& runs) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>faultline runs</title><style>"
    << kIndexCss << "</style></head><body>\n<div id=\"script-errors\" hidden></div>\n<h1>faultline runs</h1>\n"
    << "<section class=\"trend\"><h2>Verdicts by commit</h2>" << trend_svg(verdict_trend(runs)) << "</section>\n"
    << "<p class=\"filters\"><input id=\"filter-text\" type=\"search\" placeholder=\"filter: workload, preset, "
       "commit, anomaly...\" size=\"40\"> <select id=\"filter-verdict\"><option value=\"\">any verdict</option>"
       "<option>valid</option><option>invalid</option><option>unknown</option><option>error</option>"
       "<option>running</option></select> <span id=\"shown\"></span></p>\n"
    << "<table id=\"runs\"><thead><tr><th>started (UTC)</th><th>run</th><th>workload</th><th>preset</th>"
       "<th>nemesis</th><th>verdict</th><th data-type=\"number\">ops</th><th data-type=\"number\">anomalies</th>"
       "<th>kinds</th><th>commit</th><th data-type=\"number\">seconds</th></tr></thead><tbody>\n";
  for (const auto& r : runs) {
    const std::int64_t ops = r.ops_ok + r.ops_fail + r.ops_info;
    char dur[32];
    std::snprintf(dur, sizeof dur, "%.1f", r.duration_s);
    o << "<tr data-verdict=\"" << esc(r.verdict) << "\"><td>" << esc(r.started_at) << "</td><td>";
    if (!r.report_href.empty()) o << "<a href=\"" << esc(r.report_href) << "\">" << esc(r.id) << "</a>";
    else o << esc(r.id);
    o << "</td><td>" << esc(r.workload) << "</td><td>" << esc(r.preset) << "</td><td>" << esc(r.nemesis)
      << "</td><td class=\"v-" << esc(r.expected ? "invalid-expected" : r.verdict) << "\">" << esc(r.verdict)
      << (r.expected ? " (expected for " + esc(r.preset) + ")" : "") << "</td><td data-sort=\"" << ops
      << "\" title=\"ok " << r.ops_ok << ", fail " << r.ops_fail << ", info " << r.ops_info << "\">" << ops
      << "</td><td data-sort=\"" << r.anomaly_count << "\">" << r.anomaly_count << "</td><td>"
      << esc(anomaly_text(r.anomalies)) << "</td><td title=\"" << esc(r.commit) << "\">" << esc(r.commit.substr(0, 12))
      << "</td><td data-sort=\"" << dur << "\">" << dur << "</td></tr>\n";
  }
  o << "</tbody></table>\n<script>" << kIndexJs << "</script>\n</body></html>\n";
  return o.str();
}

}  // namespace faultline::reports
