#include "faultline/reports/run_report.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "diagrams.h"
#include "faultline/history/load.h"
#include "faultline/history/pairing.h"
#include "faultline/process/text.h"
#include "faultline/reports/graphviz.h"
#include "report_assets.h"
#include "faultline/reports/text_format.h"

namespace faultline::reports {
namespace fs = std::filesystem;

namespace {

// Anomalies drawn in full (graphs, log excerpts); the rest are listed.
constexpr std::size_t kDetailedAnomalies = 25;
constexpr std::size_t kExcerptLines = 15;

std::string read_file(const fs::path& p) {
  std::optional<std::string> text = process::read_file(p);
  if (!text) throw std::runtime_error("cannot read " + p.string());
  return *std::move(text);
}

Json read_json(const fs::path& p) {
  try {
    return Json::parse(read_file(p));
  } catch (const Json::parse_error& e) {
    throw std::runtime_error(p.string() + " is not valid JSON: " + e.what());
  }
}


const char* verdict_title(const std::string& v) {
  if (v == "valid") return "VALID";
  if (v == "invalid") return "INVALID";
  if (v == "error") return "ERROR";
  if (v == "running") return "RUNNING (the controller did not finish)";
  return "UNKNOWN";
}

// The compact data the page's script draws from: columns, times in µs.
std::string page_data(const ReportInput& in, const ReportModel& m) {
  const auto& h = in.history;
  const std::vector<history::Operation>& ops = m.operations;  // empty when unpaired (the banner says why)
  Json p = Json::array(), s = Json::array(), e = Json::array(), t = Json::array(), f = Json::array(),
       k = Json::array(), v = Json::array(), n = Json::array(), ix = Json::array();
  std::vector<std::string> fnames, keys, nodes;
  std::unordered_map<std::string, int> fidx, kidx, nidx;
  auto intern = [](std::unordered_map<std::string, int>& idx, std::vector<std::string>& names, const std::string& x) {
    auto [it, fresh] = idx.emplace(x, static_cast<int>(names.size()));
    if (fresh) names.push_back(x);
    return it->second;
  };
  for (const auto& o : ops) {
    const auto& inv = h.ops[o.invoke];
    const auto* comp = o.completion ? &h.ops[*o.completion] : nullptr;
    p.push_back(inv.process);
    s.push_back(inv.time / 1000);
    e.push_back(comp ? comp->time / 1000 : -1);
    const auto type = o.outcome(h.ops);
    t.push_back(type == history::OpType::kOk ? 0 : type == history::OpType::kFail ? 1 : 2);
    f.push_back(intern(fidx, fnames, inv.f));
    k.push_back(inv.key ? intern(kidx, keys, *inv.key) : -1);
    n.push_back(intern(nidx, nodes, inv.node));
    const Json& val = comp && !comp->value.is_null() ? comp->value : inv.value;
    std::string text = val.is_null() ? "" : val.dump();
    if (text.size() > 24) text = text.substr(0, 21) + "...";
    v.push_back(std::move(text));
    ix.push_back(inv.index);
  }
  Json windows = Json::array();
  for (const auto& w : m.windows)
    windows.push_back({{"fault", w.fault}, {"label", w.label()}, {"start", w.start / 1000}, {"stop", w.stop / 1000}});
  Json buckets = {{"width", m.bucket_ns / 1000}, {"ok", Json::array()}, {"fail", Json::array()},
                  {"info", Json::array()},      {"p50", Json::array()}, {"p95", Json::array()},
                  {"p99", Json::array()},       {"max", Json::array()}};
  auto r3 = [](double x) { return std::round(x * 1000) / 1000; };
  for (const auto& b : m.buckets) {
    buckets["ok"].push_back(b.ok);
    buckets["fail"].push_back(b.fail);
    buckets["info"].push_back(b.info);
    buckets["p50"].push_back(r3(b.p50_ms));
    buckets["p95"].push_back(r3(b.p95_ms));
    buckets["p99"].push_back(r3(b.p99_ms));
    buckets["max"].push_back(r3(b.max_ms));
  }
  Json clock = Json::object();
  for (const auto& [node, steps] : m.clock) {
    Json pts = Json::array();
    for (const auto& [time, ms] : steps) pts.push_back({time / 1000, ms});
    clock[node] = pts;
  }
  Json membership = Json::array();
  for (const auto& c : m.membership) membership.push_back({c.time / 1000, c.observer, c.member, c.state});
  Json witness = Json::array();
  for (const auto& a : m.anomalies) {
    Json w = Json::array();
    for (const auto& op : a.witness) w.push_back(op.invoke_index);
    witness.push_back({{"from", a.from / 1000}, {"to", a.to / 1000}, {"ops", w}, {"expected", a.expected}});
  }
  // Client workers: `faultline run` gives a worker a fresh process id after an
  // info by adding the worker count, so process % workers is the worker and
  // the timeline keeps one row per worker instead of one per retired id.
  std::int64_t workers = 0;
  const Json& c = in.config;
  if (c.contains("concurrency") && c["concurrency"].is_number_integer()) workers = c["concurrency"].get<std::int64_t>();
  if (workers <= 0 && c.contains("nodes") && c["nodes"].is_number_integer()) workers = 2 * c["nodes"].get<std::int64_t>();
  Json data = {{"duration", m.duration / 1000},
               {"workers", std::max<std::int64_t>(workers, 0)},
               {"ops", {{"p", p}, {"s", s}, {"e", e}, {"t", t}, {"f", f}, {"k", k}, {"v", v}, {"n", n}, {"i", ix}}},
               {"fnames", fnames},
               {"keys", keys},
               {"nodes", nodes},
               {"windows", windows},
               {"buckets", buckets},
               {"clock", clock},
               {"membership", membership},
               {"anomalies", witness}};
  return script_safe(data.dump(-1, ' ', false, Json::error_handler_t::replace));
}

// ", 0.012 s to 9.8 s on the run's clock" when the lines could be placed.
std::string log_span(const std::vector<LogLine>& lines) {
  std::optional<std::int64_t> first, last;
  for (const auto& l : lines) {
    if (!l.time) continue;
    if (!first) first = l.time;
    last = l.time;
  }
  if (!first) return "";
  return ", " + precise_seconds_text(*first) + " to " + precise_seconds_text(*last) + " on the run's clock";
}

// "1,494 stale-read, 57 nonlinearizable": every anomaly found, by kind.
std::string counts_text(const std::map<std::string, std::int64_t>& counts) {
  std::string out;
  for (const auto& [kind, n] : counts) out += (out.empty() ? "" : ", ") + thousands(n) + " " + kind;
  return out;
}

void banner(std::ostringstream& o, const ReportModel& m) {
  // Green only for valid; an invalid run whose anomalies its preset
  // documents is amber and says so, never green: it is still invalid.
  const std::string cls = m.expected ? "invalid-expected" : m.verdict;
  const std::string title =
      m.verdict == "invalid" && !m.headline.empty() ? m.headline : std::string(verdict_title(m.verdict));
  o << "<header id=\"verdict\" class=\"banner v-" << esc(cls) << "\" data-verdict=\"" << esc(m.verdict)
    << "\" data-expected=\"" << (m.expected ? "true" : "false") << "\">\n<h1>" << esc(title) << "</h1>\n";
  if (!m.counts.empty())
    o << "<p class=\"counts\" id=\"anomaly-counts\">Anomalies found: " << esc(counts_text(m.counts))
      << (m.expected ? " \u2014 the kinds this preset is documented to show (node/PRESETS.md); the store is not "
                       "linearizable under it"
                     : "")
      << "</p>\n";
  o << "<dl class=\"facts\">";
  auto fact = [&](const char* name, const std::string& value) {
    if (!value.empty()) o << "<div><dt>" << name << "</dt><dd>" << esc(value) << "</dd></div>";
  };
  fact("workload", m.workload);
  fact("preset", m.preset);
  fact("nemesis", m.nemesis);
  fact("seed", m.seed ? std::to_string(m.seed) : "");
  fact("commit", m.commit);
  fact("run", m.run_id);
  fact("backend", m.backend);
  fact("model", m.model);
  fact("operations", std::to_string(m.ok) + " ok, " + std::to_string(m.fail) + " fail, " + std::to_string(m.info) +
                         " info");
  fact("duration", seconds_text(m.duration));
  o << "</dl>\n";
  if (!m.replay.empty())
    o << "<p class=\"replay\">Replay: <code id=\"replay\">" << esc(m.replay) << "</code></p>\n";
  else
    o << "<p class=\"replay\">No config.json beside the history: the replay command is unknown.</p>\n";
  if (!m.error.empty()) o << "<p class=\"error\">" << esc(m.error) << "</p>\n";
  if (!m.run_dir.empty()) o << "<p class=\"dir\">" << esc(m.run_dir) << "</p>\n";
  o << "</header>\n";
}

void log_excerpts(std::ostringstream& o, const ReportInput& in, const AnomalyView& a, std::size_t n,
                  bool aligned) {
  o << "<details class=\"logs\" id=\"anomaly-" << n << "-logs\"><summary>Node logs from " << seconds_text(a.from - kSecond)
    << " to " << seconds_text(a.to + kSecond) << "</summary>";
  if (!aligned) {
    o << "<p>The node logs could not be placed on the run's clock (the history's meta has no "
         "<code>origin_mono_ns</code>); see the full logs below.</p></details>";
    return;
  }
  bool any = false;
  for (const auto& [node, lines] : in.logs) {
    std::vector<const LogLine*> hit;
    for (const auto& l : lines)
      if (l.time && *l.time >= a.from - kSecond && *l.time <= a.to + kSecond) hit.push_back(&l);
    if (hit.empty()) continue;
    any = true;
    o << "<h4>" << esc(node);
    if (auto it = in.log_links.find(node); it != in.log_links.end())
      o << " <a href=\"" << esc(it->second) << "\">full log</a>";
    o << "</h4><pre class=\"log\">";
    for (std::size_t i = 0; i < hit.size() && i < kExcerptLines; ++i)
      o << esc(precise_seconds_text(*hit[i]->time)) << "  " << esc(hit[i]->text) << "\n";
    if (hit.size() > kExcerptLines) o << "... " << (hit.size() - kExcerptLines) << " more lines in this window\n";
    o << "</pre>";
  }
  if (!any) o << "<p>No node logged anything in this window.</p>";
  o << "</details>";
}

void anomalies(std::ostringstream& o, const ReportInput& in, const ReportModel& m) {
  std::size_t unexpected = 0;
  for (const auto& a : m.anomalies) unexpected += a.expected ? 0 : 1;
  std::int64_t found = static_cast<std::int64_t>(m.anomalies.size()) + m.anomalies_omitted;
  o << "<section id=\"anomalies\"><h2>Anomalies (" << thousands(found) << " found";
  if (!m.counts.empty()) o << ": " << esc(counts_text(m.counts));
  if (m.anomalies_omitted > 0) o << "; " << m.anomalies.size() << " listed with witnesses";
  if (unexpected != m.anomalies.size())
    o << "; " << (m.anomalies.size() - unexpected) << " listed are expected for the preset";
  o << ")</h2>\n";
  if (m.anomalies.empty()) {
    o << "<p id=\"no-anomalies\">" << (found > 0 ? "The checkers listed none of them." : "The checkers found no anomalies.")
      << "</p></section>\n";
    return;
  }
  // Expected anomalies are folded away only when unexpected ones precede
  // them: those are what broke the model beyond what the preset documents.
  const bool fold = unexpected > 0 && unexpected < m.anomalies.size();
  o << "<ol id=\"anomaly-list\">\n";
  for (std::size_t i = 0; i < m.anomalies.size(); ++i) {
    const auto& a = m.anomalies[i];
    if (fold && i == unexpected)
      o << "</ol>\n<details class=\"expected-anomalies\"><summary>" << (m.anomalies.size() - i)
        << " anomalies expected for the preset</summary>\n<ol start=\"" << (i + 1) << "\">\n";
    o << "<li class=\"anomaly" << (a.expected ? " expected" : "") << "\" id=\"anomaly-" << i << "\" data-kind=\""
      << esc(a.kind) << "\"><h3>" << esc(a.kind) << " <small>(" << esc(a.checker)
      << (a.expected ? ", expected for the preset" : "") << ")</small></h3>\n<p class=\"sentence\">" << esc(a.sentence)
      << "</p>\n";
    if (i >= kDetailedAnomalies) {
      o << "</li>\n";
      continue;
    }
    o << "<p class=\"links\"><a href=\"#timeline-section\" data-anomaly=\"" << i
      << "\" class=\"show-in-timeline\">show in the timeline</a> · <a href=\"#anomaly-" << i
      << "-logs\">node logs</a></p>\n";
    o << anomaly_timeline_svg(a) << "\n";
    if (m.model == "register") {
      if (std::string dot = precedence_dot(a); !dot.empty()) {
        try {
          o << "<div class=\"graph precedence\"><h4>Precedence of the witness operations</h4>"
            << inline_svg(render_dot_to_svg(dot)) << "</div>\n";
        } catch (const std::exception& e) {
          o << "<p class=\"error\">Graphviz: " << esc(e.what()) << "</p>";
        }
      }
    }
    o << "<details><summary>Witness operations (" << a.witness.size()
      << ")</summary><table class=\"ops\"><tr><th>index</th><th>process</th><th>node</th><th>f</th><th>key</th>"
         "<th>value</th><th>outcome</th><th>began</th><th>ended</th></tr>";
    for (const auto& w : a.witness)
      o << "<tr><td>" << w.invoke_index << "</td><td>" << w.process << "</td><td>" << esc(w.node) << "</td><td>"
        << esc(w.f) << "</td><td>" << esc(w.key) << "</td><td>" << esc(w.value) << "</td><td class=\"o-"
        << esc(w.outcome) << "\">" << esc(w.outcome) << "</td><td>" << precise_seconds_text(w.start) << "</td><td>"
        << precise_seconds_text(w.end) << "</td></tr>";
    o << "</table></details>\n";
    log_excerpts(o, in, a, i, m.logs_aligned);
    o << "</li>\n";
  }
  o << "</ol>" << (fold ? "</details>" : "") << "</section>\n";
}

void faults(std::ostringstream& o, const ReportModel& m) {
  o << "<section id=\"faults\"><h2>Faults (" << m.windows.size() << " windows)</h2>\n";
  if (m.windows.empty()) {
    o << "<p>No faults were injected.</p></section>\n";
    return;
  }
  o << "<table class=\"windows\"><tr><th>fault</th><th>from</th><th>to</th><th>nodes</th><th>parameters</th></tr>";
  for (const auto& w : m.windows) {
    std::string nodes;
    for (const auto& n : w.nodes) nodes += (nodes.empty() ? "" : " ") + n;
    o << "<tr><td>" << esc(w.fault) << "</td><td>" << seconds_text(w.start) << "</td><td>"
      << (w.open ? "end (no stop recorded)" : seconds_text(w.stop)) << "</td><td>" << esc(nodes) << "</td><td><code>"
      << esc(w.params.dump()) << "</code></td></tr>";
  }
  o << "</table>\n<div class=\"topologies\">";
  // One drawing per distinct topology (a long run repeats a few grudges many
  // times), captioned with every window that had it.
  std::vector<std::pair<std::string, std::vector<const FaultWindow*>>> topologies;
  for (const auto& w : m.windows) {
    if (w.fault != "partition") continue;
    std::string dot = partition_dot(w, m.nodes);
    if (dot.empty()) continue;
    auto it = std::find_if(topologies.begin(), topologies.end(), [&](const auto& t) { return t.first == dot; });
    if (it == topologies.end()) topologies.push_back({std::move(dot), {&w}});
    else it->second.push_back(&w);
  }
  for (const auto& [dot, windows] : topologies) {
    try {
      o << "<figure class=\"graph partition\">" << inline_svg(render_dot_to_svg(dot)) << "<figcaption>";
      for (std::size_t i = 0; i < windows.size(); ++i)
        o << (i ? ", " : "") << seconds_text(windows[i]->start) << " – " << seconds_text(windows[i]->stop);
      o << "</figcaption></figure>";
    } catch (const std::exception& e) {
      o << "<p class=\"error\">Graphviz: " << esc(e.what()) << "</p>";
    }
  }
  o << "</div></section>\n";
}

}  // namespace

ReportInput load_run_dir(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw std::runtime_error(dir.string() + " is not a directory");
  const fs::path hist = dir / "history.jsonl";
  // A run that failed before its workload began (a node did not start) has
  // results.json but no history: its report is the banner with the reason.
  if (!fs::exists(hist) && !fs::exists(dir / "results.json"))
    throw std::runtime_error("no history.jsonl in " + dir.string());
  ReportInput in;
  in.run_dir = dir.string();
  if (fs::exists(hist)) in.history = history::load_history(hist.string(), history::Format::kJsonl);
  if (fs::exists(dir / "results.json")) in.results = read_json(dir / "results.json");
  if (fs::exists(dir / "config.json")) in.config = read_json(dir / "config.json");
  std::optional<std::int64_t> origin;
  if (in.history.meta.contains("origin_mono_ns") && in.history.meta["origin_mono_ns"].is_number_integer())
    origin = in.history.meta["origin_mono_ns"].get<std::int64_t>();
  if (fs::is_directory(dir / "nodes")) {
    for (const auto& entry : fs::directory_iterator(dir / "nodes")) {
      if (!entry.is_directory()) continue;
      const std::string node = entry.path().filename().string();
      const fs::path log = entry.path() / "data" / "node.log";
      if (!fs::exists(log)) continue;
      in.logs[node] = parse_node_log(node, read_file(log), origin);
      in.log_links[node] = "nodes/" + node + "/data/node.log";
    }
  }
  return in;
}

std::string render_report_html(const ReportInput& in, const ReportModel& m) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>faultline " << esc(m.run_id) << ": "
    << esc(m.verdict) << " (" << esc(m.workload) << ", " << esc(m.preset) << ")</title>\n<style>" << kReportCss
    << "</style>\n</head><body>\n<div id=\"script-errors\" hidden></div>\n";
  banner(o, m);
  o << "<nav><a href=\"#anomalies\">anomalies</a> <a href=\"#timeline-section\">timeline</a> <a "
       "href=\"#plots\">plots</a> <a href=\"#faults\">faults</a> <a href=\"#logs\">logs</a></nav>\n<main>\n";
  anomalies(o, in, m);
  o << "<section id=\"timeline-section\"><h2>Operations by process</h2>\n"
       "<p class=\"controls\"><button id=\"zoom-in\">zoom in</button> <button id=\"zoom-out\">zoom out</button> "
       "<button id=\"zoom-reset\">whole run</button> <span id=\"timeline-range\"></span> "
       "<span class=\"hint\">drag to zoom into a range, wheel to zoom, shift+drag to pan</span></p>\n"
       "<p class=\"legend\"><span class=\"o-ok\">■ ok</span> <span class=\"o-fail\">■ fail</span> "
       "<span class=\"o-info\">■ info</span> <span class=\"witness\">□ anomaly witness</span> <span class=\"hint\">(zoomed out, a pixel mixes the colours by their share of its operations)</span> · fault windows shaded: <span id=\"fault-legend\"></span></p>\n"
       "<div class=\"canvas-box\"><canvas id=\"timeline\" height=\"420\"></canvas><div id=\"tooltip\" hidden></div></div>"
       "</section>\n";
  o << "<section id=\"plots\"><h2>Plots</h2>\n"
       "<h3>Latency of ok operations (ms, log scale; dots raw, lines p50 / p95 / p99 per bucket)</h3>"
       "<canvas id=\"plot-latency\" class=\"plot\" height=\"260\"></canvas>\n"
       "<h3>Throughput (completions per second by outcome)</h3>"
       "<canvas id=\"plot-throughput\" class=\"plot\" height=\"200\"></canvas>\n";
  // Only a run with clock faults has offsets to plot.
  if (!m.clock.empty())
    o << "<h3>Clock offsets by node (ms)</h3><canvas id=\"plot-clock\" class=\"plot\" height=\"180\"></canvas>\n";
  o << "<h3>Membership as seen by each node</h3><canvas id=\"plot-membership\" class=\"plot\" height=\"160\"></canvas>"
       "<p id=\"membership-empty\" hidden>No membership events in the node logs.</p>\n"
       "</section>\n";
  faults(o, m);
  o << "<section id=\"logs\"><h2>Node logs</h2><ul>";
  for (const auto& [node, link] : in.log_links)
    o << "<li>" << esc(node) << ": <a href=\"" << esc(link) << "\">" << esc(link) << "</a> ("
      << in.logs.at(node).size() << " lines" << log_span(in.logs.at(node)) << "), <a href=\"nodes/" << esc(node)
      << "/output.log\">output.log</a></li>";
  if (in.log_links.empty()) o << "<li>No node logs beside this history.</li>";
  o << "</ul></section>\n</main>\n<script id=\"report-data\" type=\"application/json\">" << page_data(in, m)
    << "</script>\n<script>" << kReportJs << "</script>\n</body></html>\n";
  return o.str();
}

fs::path write_run_report(const fs::path& dir, const fs::path& out) {
  const ReportInput in = load_run_dir(dir);
  const ReportModel m = build_model(in);
  const fs::path path = out.empty() ? dir / "report.html" : out;
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << render_report_html(in, m);
    if (!f) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
  return path;
}

}  // namespace faultline::reports
