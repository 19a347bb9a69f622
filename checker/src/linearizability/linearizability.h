// Linearizability: is there one sequential order of the operations, each
// taking effect at an instant between its invocation and its completion, that
// a sequential model accepts?
//
// The search is Wing & Gong's with Lowe's memoization, as in Porcupine: a
// depth-first search over "linearize this pending call next", pruned by a
// cache of (set of linearized operations, model state) already explored.
//
// Semantics of outcomes (Jepsen's, as Knossos applies them):
//   ok      happened, between invocation and completion;
//   info    (or never completed) may have happened at any time after its
//           invocation, or never; its result is unknown;
//   fail    never happened, and constrains nothing: a failed cas included.
// A cas that was carried out and found another value than `from` is an
// observation, not a failure: it is recorded as an `ok` cas whose completion
// value is {"ok": false} (Porcupine's etcd model reads it the same way) and
// means the register held a value other than `from` at some instant of the
// call. Sources whose `fail` cas means exactly that (Porcupine's etcd logs,
// `faultline check --failed-cas observe`) are mapped into that form when
// they are loaded (history::observe_failed_cas), not by a rule here.
//
// Models:
//   register      read/write, checked key by key (ops without a key share one
//                 register); initial value nil (null).
//   cas-register  read/write/cas, value of cas = [from, to]; key by key.
//   kv            get/put/append on string values, key by key; a missing key
//                 reads as "" and append concatenates.
//   kv-map        the kv model over the whole map at once (no splitting).
//
// Per-key models are checked independently (P-compositionality: a history is
// linearizable iff each key's sub-history is), in parallel across threads.
//
// Budgets: the search stops with `unknown` when the time or memory budget is
// spent; it never gives a verdict it has not proved.
#ifndef FAULTLINE_CHECKER_LINEARIZABILITY_H_
#define FAULTLINE_CHECKER_LINEARIZABILITY_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "faultline/checker/checker.h"
#include "faultline/history/event.h"

namespace faultline::check {

enum class LinModel { kRegister, kCasRegister, kKv, kKvMap };

// "register", "cas-register", "kv", "kv-map".
std::string_view to_string(LinModel model);
std::optional<LinModel> parse_lin_model(std::string_view text);

struct LinearizabilityOptions {
  LinModel model = LinModel::kCasRegister;
  double time_budget_seconds = 300;                   // whole history, all keys
  std::size_t memory_budget_bytes = std::size_t{4096} << 20;  // search memory, all threads
  unsigned threads = 0;                               // 0 = one per core
  // On invalid, shrink each witness to a 1-minimal set of operations that
  // must keep their recorded outcome for the history to stay invalid (all
  // others relaxed to "may or may not have happened"). Bounded in time.
  bool minimize_witness = true;
  double minimize_budget_seconds = 2;                 // per invalid key, within the time budget
  // Once one key is proven invalid the verdict is settled: with a value >= 0
  // the keys still being searched get this much longer, then are reported
  // as not finished. Negative (the default): every key is searched within
  // the budget, so the count of invalid keys is the true one.
  double after_invalid_seconds = -1;
  // Invalid keys listed as anomalies with their witness; every invalid key
  // is counted (Result::counts) whatever this is.
  std::size_t max_reported = 10;
};

// Checks `history` against `options.model`. Never throws for bad input:
// malformed or unpaired operations give `unknown` with details.error.
Result check_linearizability(const history::History& history, const LinearizabilityOptions& options);

class LinearizabilityChecker : public Checker {
 public:
  explicit LinearizabilityChecker(LinearizabilityOptions options) : options_(options) {}
  std::string name() const override { return "linearizable"; }
  Result check(const history::History& history) override { return check_linearizability(history, options_); }

 private:
  LinearizabilityOptions options_;
};

}  // namespace faultline::check

#endif  // FAULTLINE_CHECKER_LINEARIZABILITY_H_
