// Public entry point of the linearizability checker: prepares the compact
// history, checks each independent sub-history (in parallel), and turns the
// outcomes into a Result with witnesses.
#include "faultline/checker/linearizability.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <memory>
#include <thread>

#include "linearizability/lin_budget.h"
#include "linearizability/lin_kv_model.h"
#include "linearizability/lin_ops.h"
#include "linearizability/lin_reduce.h"
#include "linearizability/lin_register_model.h"
#include "linearizability/lin_search.h"
#include "linearizability/lin_witness.h"

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

// Search steps for a key's exact frontier: 3x the hardest known key
// (Porcupine's c50-bad, 19.1 M steps).
constexpr std::uint64_t kFrontierSteps = 64'000'000;
constexpr std::size_t kMaxShrunkPartitions = 8;  // witness shrinking is per invalid key; bound the total
constexpr std::size_t kMaxListed = 1000;         // ops listed in a linearization

// What one sub-history's check found, with op indices into Prepared::ops.
struct PartitionReport {
  Validity verdict = Validity::kUnknown;
  Exhausted exhausted = Exhausted::kNone;
  std::uint64_t steps = 0;
  std::size_t configurations = 0;
  std::size_t peak_bytes = 0;
  std::uint32_t blocked = kNever;
  std::vector<std::uint32_t> linearization;
  std::vector<std::uint32_t> pending;
  std::vector<std::string> states;
  std::vector<std::uint32_t> witness;  // ops that must keep their outcome
  std::vector<std::uint32_t> support;  // ops that explain the witness (where its values came from)
  bool shrunk = false;
  bool witness_minimal = false;
  bool prefix_unknown = false;  // the budget ran out before a linearizable prefix was found
  bool impossible = false;      // the blocked op needs a value no op could have produced
  bool detailed = false;        // blocked op, prefix and witness worked out (only the listed keys)
};

struct Shared {
  const Prepared& prepared;
  const LinearizabilityOptions& options;
  Budget budget;
  std::atomic<std::size_t> shrink_slots{std::min(kMaxShrunkPartitions, options.max_reported)};
};

// One sub-history's check, run in slices.
class Job {
 public:
  virtual ~Job() = default;
  virtual bool run(std::uint64_t steps) = 0;  // true when done
  virtual bool invalid() const = 0;           // once done
  // Once done. `detail`: for an invalid key, work out the exact frontier and
  // shrink the witness (bounded in time); otherwise only the verdict.
  virtual PartitionReport report(bool detail) = 0;
};

template <class Model, class Make>
class JobImpl final : public Job {
 public:
  JobImpl(const std::vector<std::uint32_t>& part, Make make, Shared& shared) : make_(make), shared_(shared) {
    const Prepared& p = shared.prepared;
    std::vector<LinOp> all;
    all.reserve(part.size());
    for (std::uint32_t i : part) all.push_back(p.ops[i]);
    for (std::uint32_t i : worth_searching(all, p.model, p.values)) {
      local_.push_back(all[i]);
      part_.push_back(part[i]);
    }
    // An op that can never be linearized settles the verdict; the search
    // then only looks for the longest linearizable prefix before it.
    impossible_ = first_impossible(local_, p.model, p.values);
    if (impossible_ == kNever) {
      target_ = local_;
      for (std::uint32_t i = 0; i < local_.size(); ++i) target_origin_.push_back(i);
    } else {
      target_origin_ = prefix_before(local_, local_[impossible_].ret, impossible_, target_);
    }
    model_ = make_(target_);
    search_ = make_search(target_, *model_, shared.budget, true);
  }

  bool run(std::uint64_t steps) override { return search_->run(steps); }

  bool invalid() const override {
    return impossible_ != kNever || search_->result().verdict == Validity::kInvalid;
  }

  PartitionReport report(bool detail) override {
    SearchResult r = search_->result();
    PartitionReport report;
    report.verdict = r.verdict;
    report.exhausted = r.exhausted;
    report.steps = r.steps;
    report.configurations = r.configurations;
    report.peak_bytes = r.peak_bytes;
    // Indices from here on are into local_.
    auto to_local = [&](std::vector<std::uint32_t>& v) {
      for (std::uint32_t& i : v) i = target_origin_[i];
    };
    for (std::uint32_t s : r.states) {
      report.states.push_back(r.blocked != kNever ? model_->describe(s, r.blocked) : model_->describe(s));
    }
    to_local(r.linearization);
    to_local(r.pending);
    if (r.blocked != kNever) r.blocked = target_origin_[r.blocked];
    if (impossible_ != kNever && r.verdict != Validity::kInvalid) {
      // The prefix before the impossible op is linearizable (or we ran out
      // of budget finding out): that op is where it breaks.
      report.verdict = Validity::kInvalid;
      report.impossible = true;
      report.prefix_unknown = r.verdict == Validity::kUnknown;
      if (report.prefix_unknown) r.linearization.clear(), report.states.clear();
      r.blocked = impossible_;
      r.pending.clear();
      const LinOp& imp = local_[impossible_];
      std::vector<bool> placed(local_.size(), false);
      for (std::uint32_t i : r.linearization) placed[i] = true;
      for (std::uint32_t i = 0; i < local_.size(); ++i) {
        if (i != impossible_ && !placed[i] && local_[i].call < imp.ret && local_[i].ret > imp.ret) r.pending.push_back(i);
      }
    }
    if (report.verdict != Validity::kInvalid || !detail) return report;
    report.detailed = true;
    if (!r.frontier_exact) exact_frontier(r, report);

    report.blocked = part_[r.blocked];
    for (std::uint32_t i : r.linearization) report.linearization.push_back(part_[i]);
    for (std::uint32_t i : r.pending) report.pending.push_back(part_[i]);
    model_.reset();
    if (take_shrink_slot()) {
      shrink(r, report);
    } else {
      report.witness.push_back(report.blocked);
      for (std::uint32_t i : supporters(local_, {r.blocked}, r.linearization, r.blocked)) report.support.push_back(part_[i]);
    }
    std::sort(report.support.begin(), report.support.end());
    return report;
  }

 private:
  bool take_shrink_slot() {
    if (!shared_.options.minimize_witness || shared_.options.minimize_budget_seconds <= 0) return false;
    std::size_t n = shared_.shrink_slots.load();
    while (n > 0 && !shared_.shrink_slots.compare_exchange_weak(n, n - 1)) {
    }
    return n > 0;
  }

  // The fast search can stop at a read past the longest linearizable
  // prefix; search the prefix through that read again with the lookahead
  // bounded, for the exact frontier and a linearization of what precedes
  // it. On budget exhaustion the fast result stands, marked incomplete.
  void exact_frontier(SearchResult& r, PartitionReport& report) {
    std::vector<LinOp> prefix;
    const std::vector<std::uint32_t> origin = prefix_through(local_, r.blocked, prefix);
    Budget b = shared_.budget;
    b.stop_at = nullptr;
    // The frontier is what the report shows first, so it gets more room than
    // shrinking, counted in search steps so whether it is found does not
    // depend on how busy the machine is (a wall-clock cap of 10 s once left
    // the hardest key of Porcupine's c50-bad, 19.1 M steps and 4.6 s alone,
    // unfinished beside a parallel test suite). The wall clock stays as a
    // safety net far above what the steps take.
    b.max_nodes = std::min(b.max_nodes, kFrontierSteps);
    const auto cap = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                        30 * std::max(1.0, shared_.options.minimize_budget_seconds)));
    b.deadline = std::min(b.deadline, cap);
    std::unique_ptr<Model> m = make_(prefix);
    SearchResult exact = search(prefix, *m, b, true, Lookahead::kBound);
    if (exact.verdict != Validity::kInvalid) {
      report.prefix_unknown = true;
      return;
    }
    report.states.clear();
    for (std::uint32_t s : exact.states) report.states.push_back(m->describe(s, exact.blocked));
    r.blocked = origin[exact.blocked];
    r.linearization.clear();
    for (std::uint32_t i : exact.linearization) r.linearization.push_back(origin[i]);
    r.pending.clear();
    for (std::uint32_t i : exact.pending) r.pending.push_back(origin[i]);
  }

  void shrink(const SearchResult& r, PartitionReport& report) {
    Budget b = shared_.budget;
    b.stop_at = nullptr;  // other keys being stopped must not stop this
    const auto cap = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(shared_.options.minimize_budget_seconds));
    b.deadline = std::min(b.deadline, cap);
    const Prepared& p = shared_.prepared;
    // Relaxing leaves many ops unobservable: each search drops those first
    // (indices in its result are mapped back).
    // `settle`: an op no history could linearize settles the verdict without
    // a search (and without a linearization to show).
    auto run_kept = [&](const std::vector<LinOp>& ops, const Budget& bud, bool settle) {
      std::vector<std::uint32_t> keep = worth_searching(ops, p.model, p.values);
      std::vector<LinOp> kept;
      kept.reserve(keep.size());
      for (std::uint32_t i : keep) kept.push_back(ops[i]);
      const std::uint32_t imp = first_impossible(kept, p.model, p.values);
      if (imp != kNever && settle) {
        SearchResult settled;
        settled.verdict = Validity::kInvalid;
        settled.blocked = keep[imp];
        return settled;
      }
      std::unique_ptr<Model> m = make_(kept);
      SearchResult r = search(kept, *m, bud, true);
      if (r.blocked != kNever) r.blocked = keep[r.blocked];
      for (std::uint32_t& i : r.linearization) i = keep[i];
      for (std::uint32_t& i : r.pending) i = keep[i];
      return r;
    };
    SearchFn run = [&](const std::vector<LinOp>& ops, const Budget& bud) { return run_kept(ops, bud, true); };
    const std::uint64_t trial_steps = std::clamp<std::uint64_t>(4 * r.steps, std::uint64_t{1} << 16, std::uint64_t{1} << 22);
    b.expected_configurations = r.configurations;
    const Witness w = shrink_witness(local_, r.blocked, run, b, trial_steps);
    for (std::uint32_t i : w.ops) report.witness.push_back(part_[i]);
    report.shrunk = true;
    report.witness_minimal = w.minimal;
    // A linearization of the relaxed history up to where it breaks shows
    // where the witness's reads got their values: the last trial's, or one
    // more search when no trial searched.
    SearchResult lin;
    if (w.explained) {
      lin.verdict = Validity::kInvalid;
      lin.blocked = w.blocked;
      lin.linearization = w.linearization;
    } else {
      b.max_nodes = trial_steps;
      lin = run_kept(w.relaxed, b, false);
    }
    if (lin.verdict != Validity::kInvalid) return;
    std::vector<std::uint32_t> core;
    for (std::uint32_t i = 0; i < w.relaxed.size(); ++i)
      if (w.relaxed[i].definite) core.push_back(i);
    for (std::uint32_t i : supporters(w.relaxed, core, lin.linearization, lin.blocked)) {
      report.support.push_back(part_[w.origin[i]]);
    }
  }

  std::vector<std::uint32_t> part_;  // local op -> index into Prepared::ops
  Make make_;
  Shared& shared_;
  std::vector<LinOp> local_;
  std::uint32_t impossible_ = kNever;        // local op that can never be linearized
  std::vector<LinOp> target_;                // what is searched: local_, or the prefix before impossible_
  std::vector<std::uint32_t> target_origin_;  // target op -> local op
  std::unique_ptr<Model> model_;
  std::unique_ptr<Search> search_;
};

template <class Model, class Make>
std::unique_ptr<Job> make_job(const std::vector<std::uint32_t>& part, Make make, Shared& shared) {
  return std::make_unique<JobImpl<Model, Make>>(part, make, shared);
}

std::unique_ptr<Job> make_job(const std::vector<std::uint32_t>& part, Shared& shared) {
  const Prepared& p = shared.prepared;
  switch (p.model) {
    case LinModel::kRegister:
    case LinModel::kCasRegister:
      return make_job<RegisterModel>(
          part, [&p](const std::vector<LinOp>& ops) { return std::make_unique<RegisterModel>(ops, p.values); }, shared);
    case LinModel::kKv:
      return make_job<KvModel>(
          part, [&p](const std::vector<LinOp>& ops) { return std::make_unique<KvModel>(ops, p.values); }, shared);
    case LinModel::kKvMap:
      return make_job<KvMapModel>(
          part, [&p](const std::vector<LinOp>& ops) { return std::make_unique<KvMapModel>(ops, p.values, p.keys); },
          shared);
  }
  return nullptr;
}

// Runs every sub-history's search in slices from one queue, so a hard key
// does not hold up the others. With after_invalid >= 0 the rest stop that
// many seconds after the first invalid one (the verdict is settled by then);
// otherwise every key is searched, so every invalid key is counted.
// The witness work (exact frontier, shrinking) is done for the first
// max_reported invalid keys only, after every search has finished, so it
// neither competes with the searches for CPU nor is cut short by them; the
// other invalid keys are only counted.
std::vector<PartitionReport> run_jobs(Shared& shared, std::size_t threads, double after_invalid) {
  const Prepared& p = shared.prepared;
  const std::size_t parts = p.partitions.size();
  std::vector<PartitionReport> reports(parts);
  std::vector<std::unique_ptr<Job>> jobs(parts);
  std::vector<std::uint64_t> slice(parts, std::uint64_t{1} << 16);
  std::deque<std::size_t> queue;
  for (std::size_t i = 0; i < parts; ++i) queue.push_back(i);
  std::stable_sort(queue.begin(), queue.end(),
                   [&](std::size_t a, std::size_t b) { return p.partitions[a].size() > p.partitions[b].size(); });
  std::mutex mu;
  std::vector<std::size_t> deferred;  // invalid keys whose witness is worked out at the end
  std::atomic<Clock::rep> stop_at{Clock::time_point::max().time_since_epoch().count()};
  shared.budget.stop_at = &stop_at;

  auto run_pool = [&](auto body) {
    if (threads <= 1) {
      body();
    } else {
      std::vector<std::thread> pool;
      for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(body);
      for (auto& t : pool) t.join();
    }
  };
  auto fail_memory = [&](std::size_t i) {
    jobs[i].reset();
    reports[i] = PartitionReport{};
    reports[i].exhausted = Exhausted::kMemory;
  };

  run_pool([&] {
    while (true) {
      std::size_t i;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (queue.empty()) return;
        i = queue.front();
        queue.pop_front();
      }
      bool done = true;
      bool invalid = false;
      try {
        if (!jobs[i]) jobs[i] = make_job(p.partitions[i], shared);
        done = jobs[i]->run(slice[i]);
        if (done) {
          invalid = jobs[i]->invalid();
          bool defer = false;
          if (invalid) {
            std::lock_guard<std::mutex> lock(mu);
            defer = deferred.size() < shared.options.max_reported;
            if (defer) deferred.push_back(i);
          }
          if (!defer) {
            reports[i] = jobs[i]->report(false);
            jobs[i].reset();
          }
        }
      } catch (const std::bad_alloc&) {
        fail_memory(i);
        done = true;
      }
      if (done && invalid && after_invalid >= 0) {
        const auto until = (Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(after_invalid)))
                               .time_since_epoch()
                               .count();
        Clock::rep current = stop_at.load();
        while (until < current && !stop_at.compare_exchange_weak(current, until)) {
        }
      }
      if (!done) {
        slice[i] = std::min<std::uint64_t>(slice[i] * 2, std::uint64_t{1} << 24);
        std::lock_guard<std::mutex> lock(mu);
        queue.push_back(i);
      }
    }
  });
  shared.budget.stop_at = nullptr;

  // The witnesses, in history order of their keys.
  std::sort(deferred.begin(), deferred.end());
  std::size_t next = 0;
  run_pool([&] {
    while (true) {
      std::size_t i;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (next == deferred.size()) return;
        i = deferred[next++];
      }
      try {
        reports[i] = jobs[i]->report(true);
      } catch (const std::bad_alloc&) {
        reports[i] = PartitionReport{};
        reports[i].verdict = Validity::kInvalid;  // proven before the witness ran out of memory
      }
      jobs[i].reset();
    }
  });
  return reports;
}

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
