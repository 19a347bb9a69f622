// What the stale-read, set and counter checkers need from a history: its
// operations paired, each event's place in real-time order, and ways to name
// operations in prose and witnesses. Internal to faultline_checker.
#ifndef FAULTLINE_CHECKER_SRC_HISTORY_VIEW_H_
#define FAULTLINE_CHECKER_SRC_HISTORY_VIEW_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "faultline/checker/checker.h"
#include "faultline/history/event.h"
#include "faultline/history/pairing.h"

namespace faultline::check::detail {

using history::Json;
using history::Operation;

// The rank of an event that never happened (a completion that never came).
inline constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

class HistoryView {
 public:
  // Throws history::HistoryError when events do not pair.
  explicit HistoryView(const history::History& history);

  const std::vector<history::Op>& events() const { return *events_; }
  const std::vector<Operation>& operations() const { return operations_; }
  const Operation& operation(std::size_t i) const { return operations_[i]; }
  const history::Op& invocation(std::size_t i) const { return (*events_)[operations_[i].invoke]; }
  // nullptr when the operation never completed.
  const history::Op* completion(std::size_t i) const {
    const auto& c = operations_[i].completion;
    return c ? &(*events_)[*c] : nullptr;
  }
  history::OpType outcome(std::size_t i) const { return operations_[i].outcome(*events_); }

  // Ranks order events by (time, index): "began after" and "completed
  // before" compare ranks, so equal times fall back to history order.
  std::int64_t rank_of_event(std::size_t event) const { return rank_[event]; }
  std::int64_t invoke_rank(std::size_t i) const { return rank_[operations_[i].invoke]; }
  std::int64_t complete_rank(std::size_t i) const {
    const auto& c = operations_[i].completion;
    return c ? rank_[*c] : kNever;
  }
  std::int64_t invoke_time(std::size_t i) const { return invocation(i).time; }
  std::int64_t complete_time(std::size_t i) const {
    const auto* c = completion(i);
    return c ? c->time : kNever;
  }

  // History indices naming operation i in a witness: its invocation, then
  // its completion when it has one.
  void append_witness(std::size_t i, std::vector<std::int64_t>& out) const;
  // {"f", "process", "type", "invoke", "complete", "began_s", "ended_s"}.
  Json describe(std::size_t i) const;

  struct KeyGroup {
    std::optional<std::string> key;
    std::vector<std::size_t> operations;  // positions in operations(), in invocation order
  };
  // Operations grouped by key, keys in order (no key first).
  std::vector<KeyGroup> by_key() const;
  // True when any operation carries a key.
  bool keyed() const;

 private:
  const std::vector<history::Op>* events_;
  std::vector<Operation> operations_;
  std::vector<std::int64_t> rank_;
};

// "12.345 s", "3.200 ms" or "870 ns": times and durations in prose.
std::string format_duration(std::int64_t ns);
// Times in JSON: seconds as a double.
double to_seconds(std::int64_t ns);
double to_millis(std::int64_t ns);
// `key "k1"` for prose, or "" for the unkeyed register/set/counter.
std::string key_phrase(const std::optional<std::string>& key);
// The key as a JSON object member name: the key, or "" for operations
// without one in a history where others have keys.
inline std::string key_label(const std::optional<std::string>& key) { return key ? *key : std::string(); }
// The key as JSON: the string, or null.
Json key_json(const std::optional<std::string>& key);
// An integer JSON value (signed, or unsigned that fits); nullopt otherwise.
// Inline: the set checker calls it for every element every read returns.
inline std::optional<std::int64_t> json_int(const Json& value) {
  if (const auto* i = value.get_ptr<const Json::number_integer_t*>()) return *i;
  if (const auto* u = value.get_ptr<const Json::number_unsigned_t*>()) {
    if (*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return static_cast<std::int64_t>(*u);
  }
  return std::nullopt;
}
// "1..4 7 9..12" for a sorted list of distinct integers (Jepsen's interval
// notation), so a million never-read elements stay a short string.
std::string integer_ranges(const std::vector<std::int64_t>& sorted);

// A value a checker cannot interpret (an increment that is not an integer, a
// read that is not a set). The history is then judged unknown, not invalid.
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs `check_key(view, group, order)` for every key's events. Events that do
// not pair, or values a checker cannot interpret, make the verdict unknown with
// the reason in result.details["error"]; then it returns false.
template <class Totals, class CheckKey>
bool check_each_key(const history::History& history, Totals& totals, Result& result, CheckKey check_key) {
  try {
    HistoryView view(history);
    totals.keyed = view.keyed();
    const auto groups = view.by_key();
    totals.keys = groups.size();
    for (std::size_t g = 0; g < groups.size(); ++g) check_key(view, groups[g], g);
    return true;
  } catch (const std::runtime_error& e) {  // history::HistoryError or BadInput
    result.valid = Validity::kUnknown;
    result.details["error"] = e.what();
    return false;
  }
}

}  // namespace faultline::check::detail

#endif  // FAULTLINE_CHECKER_SRC_HISTORY_VIEW_H_
