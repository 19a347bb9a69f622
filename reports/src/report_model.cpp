#include "faultline/reports/report_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <unordered_map>

#include "faultline/history/pairing.h"
#include "faultline/process/command.h"
#include "faultline/process/text.h"
#include "faultline/reports/text_format.h"

namespace faultline::reports {
namespace {


std::string str_field(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// The partition's sides from its grudge: nodes that drop the same set of
// peers form one side. Falls back to the node list.
std::string partition_label(const FaultWindow& w) {
  const Json& g = w.params.is_object() && w.params.contains("grudge") ? w.params["grudge"] : Json();
  if (!g.is_object() || g.empty()) return process::join(w.nodes, " ");
  std::map<std::string, std::vector<std::string>> sides;  // dropped set -> nodes
  for (auto it = g.begin(); it != g.end(); ++it) {
    std::vector<std::string> dropped;
    if (it.value().is_array())
      for (const auto& d : it.value()) dropped.push_back(d.is_string() ? d.get<std::string>() : d.dump());
    std::sort(dropped.begin(), dropped.end());
    sides[process::join(dropped, ",")].push_back(it.key());
  }
  std::vector<std::string> parts;
  for (auto& [_, nodes] : sides) parts.push_back(process::join(nodes, " "));
  std::sort(parts.begin(), parts.end());
  return process::join(parts, " | ");
}

}  // namespace

std::string FaultWindow::label() const {
  if (fault == "partition") {
    std::string topo = str_field(params, "topology");
    return "partition " + (topo.empty() ? "" : "(" + topo + ") ") + partition_label(*this);
  }
  std::string extra;
  if (fault == "packet") {
    std::vector<std::string> bits;
    if (auto m = str_field(params, "mechanism"); !m.empty()) bits.push_back(m);
    if (params.is_object() && params.contains("delay_ms")) bits.push_back(str_field(params, "delay_ms") + " ms");
    if (params.is_object() && params.contains("loss")) bits.push_back("loss " + str_field(params, "loss"));
    if (!bits.empty()) extra = " (" + process::join(bits, ", ") + ")";
  } else if (fault == "clock" && params.is_object() && params.contains("offsets_ms") &&
             params["offsets_ms"].is_object()) {
    std::vector<std::string> bits;
    for (auto it = params["offsets_ms"].begin(); it != params["offsets_ms"].end(); ++it)
      bits.push_back(it.key() + " " + it.value().dump() + " ms");
    extra = " (" + process::join(bits, ", ") + ")";
  }
  return fault + extra + (nodes.empty() ? "" : " " + process::join(nodes, " "));
}

std::vector<FaultWindow> fault_windows(const history::History& h) {
  std::vector<FaultWindow> done;
  std::vector<FaultWindow> open;
  std::int64_t end = 0;
  for (const auto& op : h.ops) end = std::max(end, op.time);
  for (const auto& e : h.nemesis) end = std::max(end, e.time);
  for (const auto& e : h.nemesis) {
    if (e.phase == history::FaultPhase::kStart) {
      FaultWindow w;
      w.fault = e.fault;
      w.nodes = e.nodes;
      w.params = e.params.is_null() ? Json::object() : e.params;
      w.start = e.time;
      w.start_index = e.index;
      open.push_back(std::move(w));
      continue;
    }
    auto match = std::find_if(open.begin(), open.end(), [&](const FaultWindow& w) {
      return w.fault == e.fault && (e.nodes.empty() || w.nodes == e.nodes);
    });
    if (match == open.end()) continue;  // a stop with no start: nothing to shade
    match->stop = e.time;
    match->stop_index = e.index;
    done.push_back(std::move(*match));
    open.erase(match);
  }
  for (auto& w : open) {
    w.stop = std::max(end, w.start);
    w.open = true;
    done.push_back(std::move(w));
  }
  std::stable_sort(done.begin(), done.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  return done;
}

std::vector<const FaultWindow*> windows_overlapping(const std::vector<FaultWindow>& windows, std::int64_t from,
                                                    std::int64_t to) {
  std::vector<const FaultWindow*> out;
  for (const auto& w : windows)
    if (w.start <= to && w.stop >= from) out.push_back(&w);
  return out;
}

std::string anomaly_sentence(const std::string& kind, const std::string& description,
                             const std::vector<WitnessOp>& witness, const std::vector<FaultWindow>& faults) {
  std::string s = description;
  if (s.empty()) {
    std::int64_t from = 0, to = 0;
    if (!witness.empty()) {
      from = witness.front().start;
      to = witness.front().end;
      for (const auto& w : witness) from = std::min(from, w.start), to = std::max(to, w.end);
    }
    s = kind + " witnessed by " + std::to_string(witness.size()) + " operation" + (witness.size() == 1 ? "" : "s") +
        (witness.empty() ? "" : " between " + seconds_text(from) + " and " + seconds_text(to));
  }
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  if (faults.empty()) return s + "; no fault was active around it.";
  std::vector<std::string> parts;
  for (const auto& f : faults)
    parts.push_back(f.label() + " (" + seconds_text(f.start) + "–" + (f.open ? "end" : seconds_text(f.stop)) + ")");
  return s + ", while " + process::join(parts, " and ") + (faults.size() == 1 ? " was" : " were") + " active.";
}

std::string replay_command(const Json& c) {
  if (!c.is_object() || c.empty()) return "";
  // Runs record their replay line, derived from the run options' one
  // description (harness/src/run/run_options.h). What follows rebuilds it for
  // runs stored before they did.
  if (c.contains("replay") && c["replay"].is_string() && !c["replay"].get<std::string>().empty())
    return c["replay"].get<std::string>();
  std::ostringstream out;
  out << "faultline run";
  auto num = [&](const char* flag, const char* key) {
    if (c.contains(key) && c[key].is_number()) out << " " << flag << " " << c[key].dump();
  };
  auto str = [&](const char* flag, const char* key) {
    if (c.contains(key) && c[key].is_string() && !c[key].get<std::string>().empty())
      out << " " << flag << " " << process::shell_quote(c[key].get<std::string>());
  };
  num("--nodes", "nodes");
  str("--backend", "backend");
  str("--workload", "workload");
  auto list = [&](const char* flag, const char* key) {
    if (!c.contains(key) || !c[key].is_array()) return;
    std::vector<std::string> n;
    for (const auto& x : c[key])
      if (x.is_string()) n.push_back(x.get<std::string>());
    if (!n.empty()) out << " " << flag << " " << process::shell_quote(process::join(n, ","));
  };
  list("--nemesis", "nemesis");
  const bool faults = c.contains("nemesis") && c["nemesis"].is_array() && !c["nemesis"].empty() &&
                      c["nemesis"][0] != "none";
  if (faults) {
    num("--nemesis-interval", "nemesis_interval_s");
    list("--nemesis-targets", "nemesis_targets");
    list("--packet-faults", "packet_faults");
  }
  num("--time-limit", "time_limit_s");
  num("--rate", "rate");
  num("--concurrency", "concurrency");
  if (c.value("workload", std::string()) == "register") {
    // A run recorded before register deleted anything has no field: it had
    // none, and the default now deletes.
    if (c.contains("delete_fraction")) num("--delete-fraction", "delete_fraction");
    else out << " --delete-fraction 0";
    num("--ops-per-key", "ops_per_key");
  }
  num("--seed", "seed");
  str("--store-preset", "store_preset");
  if (c.contains("store_opts") && c["store_opts"].is_array())
    for (const auto& o : c["store_opts"])
      if (o.is_string()) out << " --store-opt " << process::shell_quote(o.get<std::string>());
  num("--recovery", "recovery_s");
  num("--op-timeout", "op_timeout_s");
  return out.str();
}

std::vector<LogLine> parse_node_log(const std::string& node, const std::string& text,
                                    std::optional<std::int64_t> origin_mono_ns) {
  std::vector<LogLine> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    LogLine l;
    l.node = node;
    l.text = line;
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) {
      l.fields = j;
      l.event = str_field(j, "event");
      l.level = str_field(j, "level");
      if (j.contains("mono_ns") && j["mono_ns"].is_number_integer()) {
        l.mono_ns = j["mono_ns"].get<std::int64_t>();
        if (origin_mono_ns) l.time = l.mono_ns - *origin_mono_ns;
      }
    } else {
      l.event = "text";
    }
    out.push_back(std::move(l));
  }
  return out;
}

namespace {

double quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(std::min<double>(v.size() - 1, std::floor(q * (v.size() - 1) + 0.5)));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// A bucket width that gives 50..200 buckets at a round number of ms.
std::int64_t bucket_width(std::int64_t duration) {
  static constexpr std::int64_t kSteps[] = {10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000};
  for (std::int64_t ms : kSteps)
    if (duration / (ms * 1'000'000) <= 200) return ms * 1'000'000;
  return 60000LL * 1'000'000 * std::max<std::int64_t>(1, duration / (200 * 60000LL * 1'000'000));
}

void add_checker_anomalies(const Json& result, std::vector<AnomalyView>& out, std::int64_t& omitted) {
  const std::string checker = str_field(result, "checker");
  if (result.contains("anomalies_omitted")) {
    const Json& o = result["anomalies_omitted"];
    if (o.is_number_integer()) omitted += o.get<std::int64_t>();
    if (o.is_object())
      for (const auto& v : o)
        if (v.is_number_integer()) omitted += v.get<std::int64_t>();
  }
  if (!result.contains("anomalies") || !result["anomalies"].is_array()) return;
  for (const auto& a : result["anomalies"]) {
    if (!a.is_object()) continue;
    AnomalyView v;
    v.checker = checker;
    v.kind = str_field(a, "kind");
    // "allowed": results written before expected anomalies stopped making runs valid.
    v.expected = a.value("expected", a.value("allowed", false));
    v.description = str_field(a, "description");
    if (a.contains("details")) v.details = a["details"];
    if (a.contains("witness") && a["witness"].is_array())
      for (const auto& w : a["witness"])
        if (w.is_number_integer()) v.witness.push_back(WitnessOp{.invoke_index = w.get<std::int64_t>()});
    out.push_back(std::move(v));
  }
}

}  // namespace

namespace {

// The run's identity: what ran, on what, with which seed, and the verdict.
void describe_run(const ReportInput& in, ReportModel& m) {
  const auto& h = in.history;
  const Json& c = in.config;
  const Json& r = in.results;
  auto pick = [&](const char* cfg_key, const char* meta_key) {
    std::string v = str_field(c, cfg_key);
    return v.empty() ? str_field(h.meta, meta_key) : v;
  };
  m.workload = pick("workload", "workload");
  m.preset = pick("store_preset", "store_preset");
  m.commit = str_field(c, "commit");
  m.run_id = pick("run_id", "run_id");
  m.backend = str_field(c, "backend");
  m.model = str_field(h.meta, "model");
  m.run_dir = in.run_dir;
  if (c.contains("nemesis") && c["nemesis"].is_array()) {
    std::vector<std::string> n;
    for (const auto& x : c["nemesis"])
      if (x.is_string()) n.push_back(x.get<std::string>());
    m.nemesis = process::join(n, ",");
  }
  // Seeds above 2^63 parse as unsigned, small ones built in code as signed: take both.
  auto seed_of = [](const Json& j) -> std::uint64_t {
    if (!j.is_object() || !j.contains("seed") || !j["seed"].is_number_integer()) return 0;
    return j["seed"].is_number_unsigned() ? j["seed"].get<std::uint64_t>()
                                          : static_cast<std::uint64_t>(std::max<std::int64_t>(0, j["seed"].get<std::int64_t>()));
  };
  m.seed = seed_of(c) ? seed_of(c) : seed_of(h.meta);
  if (h.meta.contains("nodes") && h.meta["nodes"].is_array())
    for (const auto& n : h.meta["nodes"])
      if (n.is_string()) m.nodes.push_back(n.get<std::string>());
  m.replay = replay_command(c);
  if (auto v = str_field(r, "verdict"); !v.empty()) m.verdict = v;
  m.expected = m.verdict == "invalid" && r.value("expected", false) == true;
  m.headline = str_field(r, "headline");
  m.error = str_field(r, "error");
}

// The paired operations, and where each history index (an invocation's or a
// completion's) lands among them.
struct OperationIndex {
  std::vector<history::Operation> ops;
  std::unordered_map<std::int64_t, std::size_t> by_invoke;  // history index of an invocation -> ops slot
  std::unordered_map<std::int64_t, std::size_t> by_complete;
};

// Outcome counts and per-bucket latencies over the run's duration.
OperationIndex count_operations(const history::History& h, ReportModel& m) {
  OperationIndex x;
  try {
    x.ops = history::pair_operations(h);
  } catch (const std::exception& e) {
    if (m.error.empty()) m.error = std::string("the history does not pair: ") + e.what();
  }
  std::int64_t end = 0;
  for (const auto& op : h.ops) end = std::max(end, op.time);
  for (const auto& e : h.nemesis) end = std::max(end, e.time);
  m.duration = end;
  m.windows = fault_windows(h);

  m.bucket_ns = bucket_width(std::max<std::int64_t>(end, 1));
  const std::size_t nb = static_cast<std::size_t>(end / m.bucket_ns) + 1;
  m.buckets.resize(nb);
  std::vector<std::vector<double>> lat(nb);
  x.by_invoke.reserve(x.ops.size());
  for (std::size_t i = 0; i < x.ops.size(); ++i) {
    const auto& o = x.ops[i];
    const auto& inv = h.ops[o.invoke];
    x.by_invoke[inv.index] = i;
    const auto type = o.outcome(h.ops);
    if (type == history::OpType::kOk) ++m.ok;
    else if (type == history::OpType::kFail) ++m.fail;
    else ++m.info;
    if (!o.completion) continue;
    const auto& comp = h.ops[*o.completion];
    x.by_complete[comp.index] = i;
    auto& b = m.buckets[static_cast<std::size_t>(comp.time / m.bucket_ns)];
    const std::size_t bi = static_cast<std::size_t>(comp.time / m.bucket_ns);
    if (type == history::OpType::kOk) {
      ++b.ok;
      lat[bi].push_back(static_cast<double>(comp.time - inv.time) / 1e6);
    } else if (type == history::OpType::kFail) {
      ++b.fail;
    } else {
      ++b.info;
    }
  }
  for (std::size_t i = 0; i < nb; ++i) {
    auto& b = m.buckets[i];
    b.start = static_cast<std::int64_t>(i) * m.bucket_ns;
    b.p50_ms = quantile(lat[i], 0.5);
    b.p95_ms = quantile(lat[i], 0.95);
    b.p99_ms = quantile(lat[i], 0.99);
    b.max_ms = lat[i].empty() ? 0 : *std::max_element(lat[i].begin(), lat[i].end());
  }
  return x;
}

// One anomaly's witness indexes resolved to operations (an index may be an
// invocation or a completion; both name the same operation), in start order.
std::vector<WitnessOp> resolve_witness(const std::vector<WitnessOp>& witness, const history::History& h,
                                       const OperationIndex& x, std::int64_t end) {
  std::vector<WitnessOp> resolved;
  std::vector<std::size_t> seen;
  for (const auto& w : witness) {
    std::size_t slot;
    if (auto it = x.by_invoke.find(w.invoke_index); it != x.by_invoke.end()) slot = it->second;
    else if (auto jt = x.by_complete.find(w.invoke_index); jt != x.by_complete.end()) slot = jt->second;
    else continue;  // not in this history (a checker bug or a truncated file): skip, the list says how many
    if (std::find(seen.begin(), seen.end(), slot) != seen.end()) continue;
    seen.push_back(slot);
    const auto& o = x.ops[slot];
    const auto& inv = h.ops[o.invoke];
    const auto* comp = o.completion ? &h.ops[*o.completion] : nullptr;
    WitnessOp op;
    op.invoke_index = inv.index;
    op.process = inv.process;
    op.f = inv.f;
    op.key = inv.key.value_or("");
    op.node = inv.node;
    const Json& value = comp && !comp->value.is_null() ? comp->value : inv.value;
    op.value = value.dump();
    op.outcome = std::string(history::to_string(o.outcome(h.ops)));
    op.start = inv.time;
    op.end = comp ? comp->time : end;
    resolved.push_back(std::move(op));
  }
  std::sort(resolved.begin(), resolved.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  return resolved;
}

// The checkers' listed anomalies with their witnesses, the faults around
// them and a sentence each; unexpected ones first; true counts per kind.
void list_anomalies(const Json& r, const history::History& h, const OperationIndex& x, ReportModel& m) {
  if (r.contains("results") && r["results"].is_array())
    for (const auto& res : r["results"]) add_checker_anomalies(res, m.anomalies, m.anomalies_omitted);
  for (auto& a : m.anomalies) {
    a.witness = resolve_witness(a.witness, h, x, m.duration);
    if (!a.witness.empty()) {
      a.from = a.witness.front().start;
      a.to = a.witness.front().end;
      for (const auto& w : a.witness) a.from = std::min(a.from, w.start), a.to = std::max(a.to, w.end);
    }
    for (const auto* w : windows_overlapping(m.windows, a.from - kSecond, a.to + kSecond)) a.faults.push_back(*w);
    a.sentence = anomaly_sentence(a.kind, a.description, a.witness, a.faults);
  }
  std::stable_partition(m.anomalies.begin(), m.anomalies.end(), [](const auto& a) { return !a.expected; });
  // True counts (results.json "anomalies": kind -> count); what was not
  // listed is the difference.
  if (r.contains("anomalies") && r["anomalies"].is_object()) {
    std::int64_t total = 0;
    for (auto it = r["anomalies"].begin(); it != r["anomalies"].end(); ++it)
      if (it.value().is_number_integer()) total += m.counts[it.key()] = it.value().get<std::int64_t>();
    m.anomalies_omitted = std::max<std::int64_t>(m.anomalies_omitted, total - static_cast<std::int64_t>(m.anomalies.size()));
  }
}

// Clock offsets: a step to offsets_ms at each clock window's start, back to
// zero at its stop.
void clock_steps(ReportModel& m) {
  for (const auto& w : m.windows) {
    if (w.fault != "clock" || !w.params.contains("offsets_ms") || !w.params["offsets_ms"].is_object()) continue;
    for (auto it = w.params["offsets_ms"].begin(); it != w.params["offsets_ms"].end(); ++it) {
      if (!it.value().is_number()) continue;
      auto& steps = m.clock[it.key()];
      steps.emplace_back(w.start, it.value().get<double>());
      steps.emplace_back(w.stop, 0.0);
    }
  }
  for (auto& [_, steps] : m.clock)
    std::stable_sort(steps.begin(), steps.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
}

// Membership as each node saw it: the node logs a state change of a peer
// as event "member_state" (issue 7's membership seam) with fields member
// and state; "membership" is accepted as well.
void membership_changes(const ReportInput& in, ReportModel& m) {
  for (const auto& [node, lines] : in.logs) {
    for (const auto& l : lines) {
      if (l.time) m.logs_aligned = true;
      if ((l.event != "member_state" && l.event != "membership") || !l.time) continue;
      m.membership.push_back({*l.time, node, str_field(l.fields, "member"), str_field(l.fields, "state")});
    }
  }
  std::stable_sort(m.membership.begin(), m.membership.end(),
                   [](const auto& a, const auto& b) { return a.time < b.time; });
}

}  // namespace

ReportModel build_model(const ReportInput& in) {
  ReportModel m;
  describe_run(in, m);
  OperationIndex ops = count_operations(in.history, m);
  list_anomalies(in.results, in.history, ops, m);
  m.operations = std::move(ops.ops);
  clock_steps(m);
  membership_changes(in, m);
  return m;
}

}  // namespace faultline::reports
