// An independent, deliberately simple linearizability checker for small
// histories, to test the real one against: it tries every order of the
// operations that respects real time, with no pruning beyond the model
// rejecting a step and a memo of (placed set, state) already failed. Semantics as documented in
// linearizability.h (info: any time after invocation or never; fail: never,
// a failed cas included, unless observe_failed_cas: then a failed cas without
// error observed a different value; an ok cas with result {"ok": false}
// always observed a different value).
// The state is the whole map, so it also checks P-compositionality.
#ifndef FAULTLINE_CHECKER_TESTS_LIN_BRUTE_FORCE_H_
#define FAULTLINE_CHECKER_TESTS_LIN_BRUTE_FORCE_H_

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "faultline/history/event.h"

namespace faultline::testing {

class BruteForce {
 public:
  // kv: get/put/append on strings; otherwise read/write/cas on JSON values.
  BruteForce(const history::History& h, bool kv, bool observe_failed_cas = false) : kv_(kv) {
    std::map<std::int64_t, std::size_t> open;  // process -> index into ops_
    for (std::size_t i = 0; i < h.ops.size(); ++i) {
      const history::Op& e = h.ops[i];
      if (e.type == history::OpType::kInvoke) {
        open[e.process] = ops_.size();
        Op op;
        op.f = e.f;
        op.key = e.key.value_or("");
        op.arg = e.value;
        op.call = i;
        ops_.push_back(op);
        continue;
      }
      Op& op = ops_[open.at(e.process)];
      open.erase(e.process);
      op.outcome = e.type;
      op.ret = i;
      op.result = e.value;
      op.error = e.error;
      if (op.arg.is_null() && !e.value.is_object()) op.arg = e.value;
    }
    for (Op& op : ops_) {
      const bool read = op.f == "read" || op.f == "get";
      if (op.outcome == history::OpType::kFail) {
        op.include = observe_failed_cas && op.f == "cas" && op.error.empty() ? Include::kMust : Include::kNever;
        op.failed_cas = op.include == Include::kMust;
      } else if (op.outcome == history::OpType::kOk) {
        op.include = Include::kMust;
        op.failed_cas = op.f == "cas" && op.result.is_object() && op.result.value("ok", true) == false;
      } else {
        op.include = read ? Include::kNever : Include::kMay;
        op.ret = kInf;
      }
    }
  }

  bool linearizable() {
    placed_.assign(ops_.size(), false);
    std::map<std::string, std::string> state;
    return dfs(state);
  }

 private:
  static constexpr std::size_t kInf = std::numeric_limits<std::size_t>::max();
  enum class Include { kMust, kMay, kNever };
  struct Op {
    std::string f, key, error;
    history::Json arg, result;
    history::OpType outcome = history::OpType::kInfo;
    std::size_t call = 0, ret = kInf;
    Include include = Include::kMay;
    bool failed_cas = false;
  };

  // Register values as JSON text; a missing key is null (register) or "" (kv).
  std::string text(const history::Json& v) const {
    if (kv_) return v.is_null() ? "" : v.is_string() ? v.get<std::string>() : v.dump();
    return v.dump();
  }

  bool step(std::map<std::string, std::string>& state, const Op& op) const {
    const std::string missing = kv_ ? "" : "null";
    auto it = state.find(op.key);
    const std::string current = it == state.end() ? missing : it->second;
    if (op.f == "read" || op.f == "get") return current == text(op.result);
    if (op.f == "write" || op.f == "put") {
      state[op.key] = text(op.arg);
      return true;
    }
    if (op.f == "append") {
      state[op.key] = current + text(op.arg);
      return true;
    }
    // cas
    const bool equal = current == text(op.arg[0]);
    if (op.failed_cas) return !equal;
    if (!equal) return false;
    state[op.key] = text(op.arg[1]);
    return true;
  }

  bool dfs(std::map<std::string, std::string>& state) {
    std::string memo;
    for (std::size_t i = 0; i < ops_.size(); ++i) memo += placed_[i] ? '1' : '0';
    for (const auto& [k, v] : state) memo += "|" + k + "=" + v;
    if (failed_.count(memo) != 0) return false;
    if (dfs_uncached(state)) return true;
    failed_.insert(memo);
    return false;
  }

  bool dfs_uncached(std::map<std::string, std::string>& state) {
    bool all = true;
    for (std::size_t i = 0; i < ops_.size(); ++i) all = all && (placed_[i] || ops_[i].include != Include::kMust);
    if (all) return true;
    for (std::size_t y = 0; y < ops_.size(); ++y) {
      if (placed_[y] || ops_[y].include == Include::kNever) continue;
      bool ready = true;  // everything that completed before y was invoked is placed
      for (std::size_t x = 0; x < ops_.size() && ready; ++x) {
        if (!placed_[x] && ops_[x].include == Include::kMust && ops_[x].ret < ops_[y].call) ready = false;
      }
      if (!ready) continue;
      std::map<std::string, std::string> next = state;
      if (!step(next, ops_[y])) continue;
      placed_[y] = true;
      if (dfs(next)) return true;
      placed_[y] = false;
    }
    return false;
  }

  bool kv_;
  std::vector<Op> ops_;
  std::vector<bool> placed_;
  std::set<std::string> failed_;
};

}  // namespace faultline::testing

#endif  // FAULTLINE_CHECKER_TESTS_LIN_BRUTE_FORCE_H_
