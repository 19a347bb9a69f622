#include "linearizability/lin_witness.h"

#include <algorithm>
#include <unordered_map>

#include "linearizability/lin_reduce.h"

namespace faultline::check::lin {
namespace {

bool is_observation(Kind k) { return k == Kind::kRead || k == Kind::kGet || k == Kind::kCasFailed; }

// A sub-history under trial: ops plus, for each, its index in the original.
struct Trial {
  std::vector<LinOp> ops;
  std::vector<std::uint32_t> origin;
};

// Everything through the completion of `blocked` (see prefix_through).
Trial truncate(const Trial& t, std::uint32_t blocked) {
  Trial out;
  for (std::uint32_t i : prefix_through(t.ops, blocked, out.ops)) out.origin.push_back(t.origin[i]);
  return out;
}

// `t` with the ops whose origin is in `relax` relaxed.
Trial relaxed(const Trial& t, const std::vector<std::uint32_t>& relax) {
  Trial out;
  for (std::size_t i = 0; i < t.ops.size(); ++i) {
    LinOp op = t.ops[i];
    if (op.definite && std::binary_search(relax.begin(), relax.end(), t.origin[i])) {
      if (is_observation(op.kind)) continue;
      op.definite = false;  // keeps its window: may happen inside it, or never
    }
    out.ops.push_back(op);
    out.origin.push_back(t.origin[i]);
  }
  return out;
}

// The witness: what is still definite in `current`, and the last proof
// (run on `proved`) mapped onto it.
Witness witness_of(Trial current, const Trial& proved, const SearchResult& proof, bool complete) {
  Witness w;
  for (std::size_t i = 0; i < current.ops.size(); ++i)
    if (current.ops[i].definite) w.ops.push_back(current.origin[i]);
  std::sort(w.ops.begin(), w.ops.end());
  w.minimal = complete;
  // The proof's indices are into the trial it ran on; map them onto what
  // was kept (observations completing after the cut were dropped).
  if (!proof.linearization.empty() || proof.blocked != kNever) {
    std::unordered_map<std::uint32_t, std::uint32_t> at;  // origin -> index in current
    for (std::uint32_t i = 0; i < current.origin.size(); ++i) at.emplace(current.origin[i], i);
    auto map = [&](std::uint32_t trial_index) {
      auto it = at.find(proved.origin[trial_index]);
      return it == at.end() ? kNever : it->second;
    };
    w.blocked = map(proof.blocked);
    w.explained = w.blocked != kNever && !proof.linearization.empty();
    for (std::uint32_t i : proof.linearization)
      if (const std::uint32_t j = map(i); j != kNever) w.linearization.push_back(j);
  }
  w.relaxed = std::move(current.ops);
  w.origin = std::move(current.origin);
  return w;
}

}  // namespace

Witness shrink_witness(const std::vector<LinOp>& ops, std::uint32_t blocked, const SearchFn& run, const Budget& budget,
                       std::uint64_t trial_steps) {
  Trial current;
  current.ops = ops;
  for (std::uint32_t i = 0; i < ops.size(); ++i) current.origin.push_back(i);
  current = truncate(current, blocked);

  // The last trial found invalid, and what it was run on.
  SearchResult proof;
  Trial proved;
  auto accept = [&](Trial&& trial, SearchResult&& r) {
    current = truncate(trial, r.blocked);
    proof = std::move(r);
    proved = std::move(trial);
  };

  Budget trial_budget = budget;
  trial_budget.max_nodes = trial_steps;
  bool complete = true;

  // Candidates by origin: observations first (dropping them is cheap and
  // shrinks the search), then mutations, latest first within each.
  auto candidates = [&] {
    std::vector<std::uint32_t> obs, mut;
    for (std::size_t i = current.ops.size(); i-- > 0;) {
      if (!current.ops[i].definite) continue;
      (is_observation(current.ops[i].kind) ? obs : mut).push_back(current.origin[i]);
    }
    obs.insert(obs.end(), mut.begin(), mut.end());
    return obs;
  };

  // The ops that matter usually sit close before the completion the search
  // could not reach. So first find, by bisection, a long run of the
  // earliest-completing ops that can be relaxed together: a few trials on
  // a short history instead of ddmin working through all of it.
  {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> by_ret;  // (completion, origin)
    for (std::size_t i = 0; i < current.ops.size(); ++i)
      if (current.ops[i].definite && current.origin[i] != blocked) by_ret.emplace_back(current.ops[i].ret, current.origin[i]);
    std::sort(by_ret.begin(), by_ret.end());
    std::size_t lo = 0, hi = by_ret.size();
    while (lo < hi && Clock::now() <= budget.deadline) {
      const std::size_t mid = (lo + hi + 1) / 2;
      std::vector<std::uint32_t> relax;
      for (std::size_t i = 0; i < mid; ++i) relax.push_back(by_ret[i].second);
      std::sort(relax.begin(), relax.end());
      Trial trial = relaxed(current, relax);
      SearchResult r = run(trial.ops, trial_budget);
      if (r.verdict == Validity::kInvalid) {
        accept(std::move(trial), std::move(r));
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
  }

  std::vector<std::uint32_t> pool = candidates();
  std::size_t chunk = std::max<std::size_t>(1, pool.size() / 2);
  while (!pool.empty()) {
    for (std::size_t start = 0; start < pool.size();) {
      if (Clock::now() > budget.deadline) {
        complete = false;
        break;
      }
      const std::size_t end = std::min(pool.size(), start + chunk);
      std::vector<std::uint32_t> relax(pool.begin() + static_cast<std::ptrdiff_t>(start),
                                       pool.begin() + static_cast<std::ptrdiff_t>(end));
      std::sort(relax.begin(), relax.end());
      Trial trial = relaxed(current, relax);
      SearchResult r = run(trial.ops, trial_budget);
      if (r.verdict == Validity::kInvalid) {
        accept(std::move(trial), std::move(r));
        // Drop from the pool what is no longer definite in `current`.
        std::vector<std::uint32_t> definite;
        for (std::size_t i = 0; i < current.ops.size(); ++i)
          if (current.ops[i].definite) definite.push_back(current.origin[i]);
        std::sort(definite.begin(), definite.end());
        std::vector<std::uint32_t> kept;
        for (std::size_t i = 0; i < pool.size(); ++i) {
          if (i >= start && i < end) continue;
          if (std::binary_search(definite.begin(), definite.end(), pool[i])) kept.push_back(pool[i]);
        }
        pool = std::move(kept);
        // `start` now points at the chunk after the relaxed one.
      } else {
        if (r.verdict == Validity::kUnknown && chunk == 1) complete = false;
        start = end;
      }
    }
    if (chunk == 1) break;
    if (Clock::now() > budget.deadline) {
      complete = false;
      break;
    }
    chunk = std::max<std::size_t>(1, std::min(chunk / 2, pool.size() / 2));
  }

  return witness_of(std::move(current), proved, proof, complete);
}

std::vector<std::uint32_t> supporters(const std::vector<LinOp>& ops, const std::vector<std::uint32_t>& core,
                                      const std::vector<std::uint32_t>& linearization, std::uint32_t blocked) {
  auto is_mutation = [&](std::uint32_t i) {
    const Kind k = ops[i].kind;
    return k == Kind::kWrite || k == Kind::kCas || k == Kind::kPut || k == Kind::kAppend;
  };
  auto in_core = [&](std::uint32_t i) { return std::find(core.begin(), core.end(), i) != core.end(); };
  std::vector<std::uint32_t> out;
  auto add = [&](std::uint32_t i) {
    if (i != kNever && i != blocked && !in_core(i) && std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  };
  std::unordered_map<std::uint32_t, std::uint32_t> last;  // key -> latest mutation so far
  auto last_of = [&](std::uint32_t key) {
    auto it = last.find(key);
    return it == last.end() ? kNever : it->second;
  };
  for (std::uint32_t i : linearization) {
    if (in_core(i) && (!is_mutation(i) || ops[i].kind == Kind::kCas)) add(last_of(ops[i].key));
    if (is_mutation(i)) last[ops[i].key] = i;
  }
  if (blocked == kNever) return out;
  const LinOp& b = ops[blocked];
  if (b.kind != Kind::kWrite && b.kind != Kind::kPut && b.kind != Kind::kAppend) {
    for (std::uint32_t i = static_cast<std::uint32_t>(ops.size()); i-- > 0;) {
      const LinOp& w = ops[i];
      if (w.key != b.key || w.call > b.ret) continue;
      if (((w.kind == Kind::kWrite || w.kind == Kind::kPut) && w.a == b.a) || (w.kind == Kind::kCas && w.b == b.a)) {
        add(i);
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace faultline::check::lin
