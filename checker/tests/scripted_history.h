// Hand-written histories for the checker tests: one call per event, each at
// its own time, so a test reads like the timeline it describes.
#ifndef FAULTLINE_CHECKER_TESTS_SCRIPTED_HISTORY_H_
#define FAULTLINE_CHECKER_TESTS_SCRIPTED_HISTORY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "faultline/history/event.h"

namespace faultline::testing {

using history::Json;
using history::OpType;

class Script {
 public:
  // Events are 1 ms apart unless at() sets the time of the next one.
  Script& at(std::int64_t ns) {
    next_time_ = ns;
    return *this;
  }

  // Appends an invocation and returns its history index.
  std::int64_t invoke(std::int64_t process, const std::string& f, Json value = nullptr,
                      std::optional<std::string> key = std::nullopt) {
    in_flight_[process] = {f, key};
    return push(process, OpType::kInvoke, f, std::move(value), std::move(key));
  }
  // Completes the operation in flight on `process` (same f and key).
  std::int64_t ok(std::int64_t process, Json value = nullptr) { return complete(process, OpType::kOk, std::move(value)); }
  std::int64_t fail(std::int64_t process, Json value = nullptr) { return complete(process, OpType::kFail, std::move(value)); }
  std::int64_t info(std::int64_t process, Json value = nullptr) { return complete(process, OpType::kInfo, std::move(value)); }

  const history::History& history() const { return history_; }
  history::History& history() { return history_; }

 private:
  std::int64_t complete(std::int64_t process, OpType type, Json value) {
    auto [f, key] = in_flight_.at(process);
    in_flight_.erase(process);
    return push(process, type, f, std::move(value), std::move(key));
  }

  std::int64_t push(std::int64_t process, OpType type, const std::string& f, Json value, std::optional<std::string> key) {
    history::Op op;
    op.index = static_cast<std::int64_t>(history_.ops.size());
    op.time = next_time_ ? *next_time_ : (history_.ops.empty() ? 0 : history_.ops.back().time + 1'000'000);
    next_time_.reset();
    op.process = process;
    op.type = type;
    op.f = f;
    op.key = std::move(key);
    op.value = std::move(value);
    if (type == OpType::kInfo) op.error = "timeout";
    history_.ops.push_back(std::move(op));
    return history_.ops.back().index;
  }

  history::History history_;
  std::map<std::int64_t, std::pair<std::string, std::optional<std::string>>> in_flight_;
  std::optional<std::int64_t> next_time_;
};

}  // namespace faultline::testing

#endif  // FAULTLINE_CHECKER_TESTS_SCRIPTED_HISTORY_H_
