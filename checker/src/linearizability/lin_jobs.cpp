#include "linearizability/lin_jobs.h"

#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "linearizability/lin_kv_model.h"
#include "linearizability/lin_reduce.h"
#include "linearizability/lin_register_model.h"
#include "linearizability/lin_witness.h"

namespace faultline::check::lin {
namespace {

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

}  // namespace

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


}  // namespace faultline::check::lin
