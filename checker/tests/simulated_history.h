// What the randomized checker tests share: the events of a simulated run
// put in history order, and each invocation paired with its completion
// (for the brute-force reference checkers).
#ifndef FAULTLINE_CHECKER_TESTS_SIMULATED_HISTORY_H_
#define FAULTLINE_CHECKER_TESTS_SIMULATED_HISTORY_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultline/history/event.h"

namespace faultline::testing {

// One event of a simulation: when it happens (µs; ties broken by `seq`, the
// order the simulation made them in) and what the history records.
struct SimEvent {
  std::int64_t time;
  std::uint64_t seq;
  history::Op op;
};

// The events in time order, numbered, their times as nanoseconds.
inline history::History history_of(std::vector<SimEvent> events) {
  std::sort(events.begin(), events.end(), [](const SimEvent& a, const SimEvent& b) {
    return a.time != b.time ? a.time < b.time : a.seq < b.seq;
  });
  history::History h;
  for (auto& e : events) {
    e.op.index = static_cast<std::int64_t>(h.ops.size());
    e.op.time *= 1000;  // µs apart, as ns
    h.ops.push_back(std::move(e.op));
  }
  return h;
}

// The events of a simulation, in the order it makes them: each pushed with
// its time, reached again by position to fill in what a read returned once
// the simulation knows it.
class SimEvents {
 public:
  // Appends an event (without a key when `key` is nullopt); returns its position.
  std::size_t push(std::int64_t time, std::int64_t process, history::OpType type, std::string f,
                   history::Json value, std::optional<std::string> key = std::nullopt) {
    history::Op op;
    op.time = time;
    op.process = process;
    op.type = type;
    op.f = std::move(f);
    op.key = std::move(key);
    op.value = std::move(value);
    events_.push_back(SimEvent{time, seq_++, std::move(op)});
    return events_.size() - 1;
  }
  history::Op& at(std::size_t position) { return events_[position].op; }
  // The history they make (history_of).
  history::History history() && { return history_of(std::move(events_)); }

 private:
  std::vector<SimEvent> events_;
  std::uint64_t seq_ = 0;
};

// An invocation (history index) and its completion, if it has one.
struct Pair {
  std::size_t invoke;
  std::optional<std::size_t> done;
};

inline std::vector<Pair> pairs_of(const history::History& h) {
  std::vector<Pair> out;
  std::map<std::int64_t, std::size_t> open;
  for (std::size_t i = 0; i < h.ops.size(); ++i) {
    if (h.ops[i].type == history::OpType::kInvoke) {
      open[h.ops[i].process] = out.size();
      out.push_back(Pair{i, std::nullopt});
    } else {
      out[open.at(h.ops[i].process)].done = i;
      open.erase(h.ops[i].process);
    }
  }
  return out;
}

}  // namespace faultline::testing

#endif  // FAULTLINE_CHECKER_TESTS_SIMULATED_HISTORY_H_
