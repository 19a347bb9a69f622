// Builds histories in memory for the linearizability tests: one call per
// event, indices and times assigned in order.
#ifndef FAULTLINE_CHECKER_TESTS_LIN_HISTORY_BUILDER_H_
#define FAULTLINE_CHECKER_TESTS_LIN_HISTORY_BUILDER_H_

#include <optional>
#include <string>

#include "faultline/history/event.h"

namespace faultline::testing {

class HistoryBuilder {
 public:
  using Json = history::Json;

  HistoryBuilder& invoke(std::int64_t process, const std::string& f, Json value = nullptr,
                         std::optional<std::string> key = std::nullopt) {
    return add(process, history::OpType::kInvoke, f, std::move(value), std::move(key), "");
  }
  HistoryBuilder& ok(std::int64_t process, const std::string& f, Json value = nullptr,
                     std::optional<std::string> key = std::nullopt) {
    return add(process, history::OpType::kOk, f, std::move(value), std::move(key), "");
  }
  HistoryBuilder& fail(std::int64_t process, const std::string& f, Json value = nullptr,
                       std::optional<std::string> key = std::nullopt, const std::string& error = "") {
    return add(process, history::OpType::kFail, f, std::move(value), std::move(key), error);
  }
  HistoryBuilder& info(std::int64_t process, const std::string& f, Json value = nullptr,
                       std::optional<std::string> key = std::nullopt, const std::string& error = "timed-out") {
    return add(process, history::OpType::kInfo, f, std::move(value), std::move(key), error);
  }

  const history::History& history() const { return h_; }
  history::History& history() { return h_; }

 private:
  HistoryBuilder& add(std::int64_t process, history::OpType type, const std::string& f, Json value,
                      std::optional<std::string> key, const std::string& error) {
    history::Op op;
    op.index = static_cast<std::int64_t>(h_.ops.size());
    op.time = op.index * 1000;
    op.process = process;
    op.type = type;
    op.f = f;
    op.key = std::move(key);
    op.value = std::move(value);
    op.error = error;
    h_.ops.push_back(std::move(op));
    return *this;
  }

  history::History h_;
};

}  // namespace faultline::testing

#endif  // FAULTLINE_CHECKER_TESTS_LIN_HISTORY_BUILDER_H_
