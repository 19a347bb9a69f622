#include "linearizability/lin_reduce.h"

#include <algorithm>
#include <unordered_map>

namespace faultline::check::lin {
namespace {

bool optional_mutation(const LinOp& op) {
  return !op.definite &&
         (op.kind == Kind::kWrite || op.kind == Kind::kCas || op.kind == Kind::kPut || op.kind == Kind::kAppend);
}

// Registers. A value is observed by a definite read of it, a cas from it
// (a kept optional cas counts, at any time), or, for any value but its own
// `from`, a failed cas. A producer helps only if an observer of what it
// writes may come after it (completes after it was invoked).
std::vector<bool> keep_registers(const std::vector<LinOp>& ops) {
  std::vector<bool> keep(ops.size(), true);
  constexpr std::uint64_t kForever = UINT64_MAX;
  std::unordered_map<std::uint32_t, std::uint64_t> latest;  // value -> latest completion of an observer
  // The two latest failed cas ops with different `from`: any other value
  // differs from at least one of them.
  std::uint64_t fail_ret[2] = {0, 0};
  std::uint32_t fail_from[2] = {0, 0};
  bool any_fail[2] = {false, false};
  auto observe = [&](std::uint32_t value, std::uint64_t ret) {
    auto [it, fresh] = latest.try_emplace(value, ret);
    if (!fresh) it->second = std::max(it->second, ret);
  };
  for (const LinOp& op : ops) {
    if (!op.definite) continue;
    if (op.kind == Kind::kRead || op.kind == Kind::kCas) observe(op.a, op.ret);
    if (op.kind == Kind::kCasFailed) {
      if (!any_fail[0] || op.ret > fail_ret[0]) {
        if (any_fail[0] && fail_from[0] != op.a) {
          fail_ret[1] = fail_ret[0], fail_from[1] = fail_from[0], any_fail[1] = true;
        }
        fail_ret[0] = op.ret, fail_from[0] = op.a, any_fail[0] = true;
      } else if (op.a != fail_from[0] && (!any_fail[1] || op.ret > fail_ret[1])) {
        fail_ret[1] = op.ret, fail_from[1] = op.a, any_fail[1] = true;
      }
    }
  }
  auto observed_after = [&](std::uint32_t value, std::uint64_t call) {
    auto it = latest.find(value);
    if (it != latest.end() && it->second > call) return true;
    for (int k = 0; k < 2; ++k)
      if (any_fail[k] && fail_from[k] != value && fail_ret[k] > call) return true;
    return false;
  };
  std::vector<std::size_t> undecided;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (optional_mutation(ops[i])) {
      keep[i] = false;
      undecided.push_back(i);
    }
  }
  // A kept optional cas observes its `from`: iterate to a fixpoint.
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i : undecided) {
      if (keep[i]) continue;
      const LinOp& op = ops[i];
      const std::uint32_t written = op.kind == Kind::kWrite ? op.a : op.b;
      if (!observed_after(written, op.call)) continue;
      keep[i] = true;
      changed = true;
      if (op.kind == Kind::kCas) observe(op.a, kForever);
    }
  }
  return keep;
}

// kv, one key. Only a definite get can observe: an append's text shows up
// inside what a later get returns (until a put replaces it), a put's text
// at the start of it.
void keep_kv_key(const std::vector<LinOp>& ops, const std::vector<std::size_t>& mine,
                 const std::vector<std::string>& values, std::vector<bool>& keep) {
  std::vector<std::size_t> gets, optional;
  for (std::size_t i : mine) {
    if (ops[i].definite && ops[i].kind == Kind::kGet) gets.push_back(i);
    if (optional_mutation(ops[i])) optional.push_back(i);
  }
  // Bound the text scanning; without it nothing is dropped, which is safe.
  std::size_t work = 0;
  for (std::size_t g : gets) work += values[ops[g].a].size();
  if (work * optional.size() > (std::size_t{1} << 28)) return;
  for (std::size_t i : optional) {
    const LinOp& op = ops[i];
    const std::string& text = values[op.a];
    bool seen = false;
    if (op.kind == Kind::kAppend && text.empty()) {
      seen = false;  // changes nothing
    } else {
      for (std::size_t g : gets) {
        if (ops[g].ret < op.call) continue;
        const std::string& got = values[ops[g].a];
        seen = op.kind == Kind::kPut ? got.compare(0, text.size(), text) == 0 : got.find(text) != std::string::npos;
        if (seen) break;
      }
    }
    keep[i] = seen;
  }
}

}  // namespace

std::vector<std::uint32_t> worth_searching(const std::vector<LinOp>& ops, LinModel model,
                                           const std::vector<std::string>& values) {
  std::vector<bool> keep(ops.size(), true);
  if (model == LinModel::kRegister || model == LinModel::kCasRegister) {
    // One key per partition for registers.
    keep = keep_registers(ops);
  } else {
    std::unordered_map<std::uint32_t, std::vector<std::size_t>> by_key;
    for (std::size_t i = 0; i < ops.size(); ++i) by_key[ops[i].key].push_back(i);
    for (const auto& [key, mine] : by_key) keep_kv_key(ops, mine, values, keep);
  }
  std::vector<std::uint32_t> out;
  out.reserve(ops.size());
  for (std::uint32_t i = 0; i < ops.size(); ++i)
    if (keep[i]) out.push_back(i);
  return out;
}

std::uint32_t first_impossible(const std::vector<LinOp>& ops, LinModel model, const std::vector<std::string>& values) {
  std::uint32_t found = kNever;
  auto consider = [&](std::uint32_t i) {
    if (found == kNever || ops[i].ret < ops[found].ret) found = i;
  };
  if (model == LinModel::kRegister || model == LinModel::kCasRegister) {
    // value -> earliest invocation of an op that writes it; nil is there from the start.
    std::unordered_map<std::uint32_t, std::uint32_t> first_write{{0, 0}};
    for (const LinOp& op : ops) {
      if (op.kind != Kind::kWrite && op.kind != Kind::kCas) continue;
      const std::uint32_t v = op.kind == Kind::kWrite ? op.a : op.b;
      auto [it, fresh] = first_write.try_emplace(v, op.call);
      if (!fresh) it->second = std::min(it->second, op.call);
    }
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
      const LinOp& op = ops[i];
      if (!op.definite || (op.kind != Kind::kRead && op.kind != Kind::kCas)) continue;
      auto it = first_write.find(op.a);
      if (it == first_write.end() || it->second > op.ret) consider(i);
    }
    return found;
  }
  // kv: a non-empty text starts with the text of some put or append.
  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> mutations;  // key -> ops
  std::size_t work = 0;
  for (std::uint32_t i = 0; i < ops.size(); ++i) {
    if ((ops[i].kind == Kind::kPut || ops[i].kind == Kind::kAppend) && !values[ops[i].a].empty()) {
      mutations[ops[i].key].push_back(i);
    }
  }
  for (std::uint32_t i = 0; i < ops.size(); ++i) {
    const LinOp& op = ops[i];
    if (!op.definite || op.kind != Kind::kGet) continue;
    const std::string& got = values[op.a];
    if (got.empty()) continue;
    bool possible = false;
    auto it = mutations.find(op.key);
    if (it != mutations.end()) {
      for (std::uint32_t m : it->second) {
        if (ops[m].call > op.ret) continue;
        const std::string& text = values[ops[m].a];
        work += text.size();
        if (got.compare(0, text.size(), text) == 0) {
          possible = true;
          break;
        }
      }
    }
    if (work > (std::size_t{1} << 27)) return kNever;  // too costly to tell: let the search decide
    if (!possible) consider(i);
  }
  return found;
}

std::vector<std::uint32_t> prefix_through(const std::vector<LinOp>& ops, std::uint32_t last, std::vector<LinOp>& out) {
  const std::uint32_t cutoff = ops[last].ret;
  std::vector<std::uint32_t> origin;
  for (std::uint32_t i = 0; i < ops.size(); ++i) {
    LinOp op = ops[i];
    if (op.call > cutoff) continue;
    if (i != last && op.ret != kNever && op.ret > cutoff) {
      if (op.kind == Kind::kRead || op.kind == Kind::kGet || op.kind == Kind::kCasFailed) continue;
      op.definite = false;
      op.ret = kNever;
    }
    out.push_back(op);
    origin.push_back(i);
  }
  return origin;
}

std::vector<std::uint32_t> prefix_before(const std::vector<LinOp>& ops, std::uint32_t cutoff, std::uint32_t skip,
                                         std::vector<LinOp>& out) {
  std::vector<std::uint32_t> origin;
  for (std::uint32_t i = 0; i < ops.size(); ++i) {
    LinOp op = ops[i];
    if (i == skip || op.call > cutoff) continue;
    if (op.ret != kNever && op.ret >= cutoff) {
      if (op.kind == Kind::kRead || op.kind == Kind::kGet || op.kind == Kind::kCasFailed) continue;
      op.definite = false;
      op.ret = kNever;
    }
    out.push_back(op);
    origin.push_back(i);
  }
  return origin;
}

}  // namespace faultline::check::lin
