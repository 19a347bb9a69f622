// Public entry point of the linearizability checker: prepares the compact
// history, checks each independent sub-history (in parallel, lin_jobs.h), and
// turns the outcomes into a Result with witnesses.
#include "linearizability/linearizability.h"

#include <algorithm>
#include <thread>

#include "linearizability/lin_jobs.h"

namespace faultline::check {

std::string_view to_string(LinModel model) {
  switch (model) {
    case LinModel::kRegister: return "register";
    case LinModel::kCasRegister: return "cas-register";
    case LinModel::kKv: return "kv";
    case LinModel::kKvMap: return "kv-map";
  }
  return "?";
}

std::optional<LinModel> parse_lin_model(std::string_view text) {
  if (text == "register") return LinModel::kRegister;
  if (text == "cas-register") return LinModel::kCasRegister;
  if (text == "kv") return LinModel::kKv;
  if (text == "kv-map") return LinModel::kKvMap;
  return std::nullopt;
}

namespace {

using namespace lin;
using history::Json;

constexpr std::size_t kMaxListed = 1000;  // ops listed in a linearization

// --- Reporting -------------------------------------------------------------

struct Describer {
  const history::History& history;
  const Prepared& prepared;

  const history::Op& invoke(std::uint32_t op) const {
    return history.ops[prepared.operations[prepared.ops[op].source].invoke];
  }
  const history::Op* completion(std::uint32_t op) const {
    const auto& c = prepared.operations[prepared.ops[op].source].completion;
    return c ? &history.ops[*c] : nullptr;
  }
  bool is_read(std::uint32_t op) const {
    const Kind k = prepared.ops[op].kind;
    return k == Kind::kRead || k == Kind::kGet;
  }
  const Json& value(std::uint32_t op) const {
    const history::Op* done = completion(op);
    if (is_read(op)) return done->value;
    const history::Op& inv = invoke(op);
    return inv.value.is_null() && done != nullptr ? done->value : inv.value;
  }
  std::string outcome(std::uint32_t op) const {
    const history::Op* done = completion(op);
    return done == nullptr ? "info" : std::string(to_string(done->type));
  }

  Json json(std::uint32_t op) const {
    const history::Op& inv = invoke(op);
    const history::Op* done = completion(op);
    Json j = {{"index", inv.index}, {"process", inv.process}, {"f", inv.f}, {"value", value(op)}, {"type", outcome(op)}};
    if (inv.key) j["key"] = *inv.key;
    j["completion_index"] = done != nullptr ? Json(done->index) : Json(nullptr);
    return j;
  }

  std::string text(std::uint32_t op) const {
    const history::Op& inv = invoke(op);
    std::string s = inv.f + " " + value(op).dump();
    if (prepared.ops[op].kind == Kind::kCasFailed) s += " (compared, found another value)";
    if (!prepared.ops[op].definite) s += " (" + outcome(op) + ")";
    s += " by process " + std::to_string(inv.process) + " at index " + std::to_string(inv.index);
    return s;
  }

  // Both event indices of each op, sorted.
  std::vector<std::int64_t> events(const std::vector<std::uint32_t>& ops) const {
    std::vector<std::int64_t> out;
    for (std::uint32_t op : ops) {
      out.push_back(invoke(op).index);
      if (const history::Op* done = completion(op)) out.push_back(done->index);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::string clip(std::string s, std::size_t n = 160) {
  if (s.size() > n) s = s.substr(0, n) + "...";
  return s;
}

Anomaly make_anomaly(const Describer& d, const PartitionReport& r) {
  const Prepared& p = d.prepared;
  Anomaly a;
  a.kind = "nonlinearizable";
  const std::uint32_t key = p.ops[r.blocked].key;
  const bool keyed = p.model != LinModel::kKvMap && key != 0;
  std::string states;
  for (std::size_t i = 0; i < r.states.size(); ++i) {
    states += (i == 0 ? "" : i + 1 == r.states.size() ? " or " : ", ") + clip(r.states[i]);
  }
  const std::string where = keyed ? "key " + Json(p.keys[key]).dump() + ": " : std::string();
  if (r.impossible) {
    a.description = where + d.text(r.blocked) + " cannot be linearized: no operation could have produced the value it needs";
    a.description += r.prefix_unknown ? " (the budget ran out before the history before it was shown linearizable)"
                                      : " (everything before it is linearizable: " +
                                            std::to_string(r.linearization.size()) + " operations)";
  } else {
    a.description = where + d.text(r.blocked) + " cannot be linearized: after the longest linearizable prefix (" +
                    std::to_string(r.linearization.size()) + " operations) the state could only be " + states +
                    (r.states.size() >= 8 ? " (or others)" : "");
  }
  std::vector<std::uint32_t> all = r.witness;
  all.insert(all.end(), r.support.begin(), r.support.end());
  a.witness = d.events(all);

  Json& j = a.details;
  if (keyed) j["key"] = p.keys[key];
  j["op"] = d.json(r.blocked);
  j["states"] = r.states;
  Json lin = Json::array();
  const std::size_t from = r.linearization.size() > kMaxListed ? r.linearization.size() - kMaxListed : 0;
  for (std::size_t i = from; i < r.linearization.size(); ++i) lin.push_back(d.invoke(r.linearization[i]).index);
  const history::Op* blocked_done = d.completion(r.blocked);
  j["linearizable_prefix"] = {
      {"before_index", blocked_done != nullptr ? Json(blocked_done->index) : Json(nullptr)},
      {"operations", r.linearization.size()},
      {"linearization", lin},  // invoke indices, in linearization order
      {"linearization_truncated", from > 0},
      {"complete", !r.prefix_unknown}};
  Json unplaced = Json::array();
  unplaced.push_back(d.json(r.blocked));
  for (std::size_t i = 0; i < r.pending.size() && i < kMaxListed; ++i) unplaced.push_back(d.json(r.pending[i]));
  j["unplaced"] = unplaced;
  Json witness = Json::array();
  for (std::uint32_t op : r.witness) witness.push_back(d.json(op));
  j["witness_ops"] = witness;
  Json support = Json::array();
  for (std::uint32_t op : r.support) support.push_back(d.json(op));
  j["supporting_ops"] = support;
  // witness_ops: with every other op relaxed to "may or may not have
  // happened inside its window", these still cannot be linearized.
  j["witness"] = r.shrunk ? (r.witness_minimal ? "minimal" : "shrunk (budget ran out before it was minimal)")
                          : "unshrunk: the op that cannot be placed";
  return a;
}

std::size_t hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

}  // namespace

Result check_linearizability(const history::History& history, const LinearizabilityOptions& options) {
  const auto started = Clock::now();
  Result result;
  result.checker = "linearizable";
  result.details["model"] = std::string(to_string(options.model));

  Prepared prepared;
  try {
    prepared = prepare(history, options.model);
  } catch (const std::exception& e) {
    result.valid = Validity::kUnknown;
    result.details["error"] = e.what();
    return result;
  }

  MemoryMeter meter(options.memory_budget_bytes);
  Shared shared{prepared, options, Budget{}};
  shared.budget.memory = &meter;
  if (options.time_budget_seconds > 0 && options.time_budget_seconds < 1e9) {
    shared.budget.deadline =
        started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.time_budget_seconds));
  }

  const std::size_t parts = prepared.partitions.size();
  const std::size_t threads = std::min<std::size_t>(options.threads == 0 ? hardware_threads() : options.threads, parts);
  const std::vector<PartitionReport> reports = run_jobs(shared, threads, options.after_invalid_seconds);

  // Verdict: invalid if any key is; else unknown if any key is.
  const Describer describe{history, prepared};
  Validity verdict = Validity::kValid;
  std::uint64_t steps = 0;
  std::size_t configurations = 0, peak = 0, valid_keys = 0, invalid_keys = 0;
  Json unknown = Json::array();
  for (std::size_t i = 0; i < parts; ++i) {
    const PartitionReport& r = reports[i];
    verdict = worst(verdict, r.verdict);
    steps += r.steps;
    configurations += r.configurations;
    peak = std::max(peak, r.peak_bytes);
    const std::uint32_t key = prepared.ops[prepared.partitions[i][0]].key;
    if (r.verdict == Validity::kValid) ++valid_keys;
    if (r.verdict == Validity::kInvalid) {
      ++invalid_keys;
      result.count("nonlinearizable");
      if (r.detailed && result.anomalies.size() < options.max_reported) result.anomalies.push_back(make_anomaly(describe, r));
    }
    if (r.verdict == Validity::kUnknown && unknown.size() < kMaxListed) {
      Json u = {{"reason", to_string(r.exhausted)}, {"operations", prepared.partitions[i].size()}};
      if (options.model != LinModel::kKvMap) u["key"] = prepared.keys[key];
      unknown.push_back(u);
    }
  }
  result.valid = verdict;
  Json& d = result.details;
  d["operations"] = prepared.operations.size();
  d["checked_operations"] = prepared.ops.size();
  d["ignored_operations"] = prepared.ignored;  // failed, or reads with unknown results
  d["independent_subhistories"] = parts;
  d["valid_subhistories"] = valid_keys;
  d["invalid_subhistories"] = invalid_keys;
  if (!unknown.empty()) d["unknown"] = unknown;
  if (invalid_keys > result.anomalies.size()) d["anomalies_omitted"] = invalid_keys - result.anomalies.size();
  d["search_steps"] = steps;
  d["configurations"] = configurations;
  d["peak_search_bytes"] = peak;
  d["threads"] = threads;
  d["time_budget_seconds"] = options.time_budget_seconds;
  d["memory_budget_bytes"] = options.memory_budget_bytes;
  d["seconds"] = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

}  // namespace faultline::check
