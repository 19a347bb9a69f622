#include "faultline/history/event.h"

namespace faultline::history {

std::string_view to_string(OpType type) {
  switch (type) {
    case OpType::kInvoke: return "invoke";
    case OpType::kOk: return "ok";
    case OpType::kFail: return "fail";
    case OpType::kInfo: return "info";
  }
  return "?";
}

std::optional<OpType> parse_op_type(std::string_view text) {
  if (text == "invoke") return OpType::kInvoke;
  if (text == "ok") return OpType::kOk;
  if (text == "fail") return OpType::kFail;
  if (text == "info") return OpType::kInfo;
  return std::nullopt;
}

namespace {
bool is_cas(const std::string& f) { return f == "cas" || f == ":cas"; }  // EDN keywords may keep their colon
}  // namespace

bool is_compare_failed(const Op& completion) {
  if (completion.type != OpType::kOk || !is_cas(completion.f) || !completion.value.is_object())
    return false;
  const auto it = completion.value.find("ok");
  return it != completion.value.end() && it->is_boolean() && !it->get<bool>();
}

std::size_t observe_failed_cas(History& history) {
  std::size_t n = 0;
  for (Op& op : history.ops) {
    if (op.type != OpType::kFail || !is_cas(op.f) || !op.error.empty()) continue;
    op.type = OpType::kOk;
    op.value = Json{{"ok", false}};
    ++n;
  }
  return n;
}

std::string_view to_string(FaultPhase phase) {
  return phase == FaultPhase::kStart ? "start" : "stop";
}

std::optional<FaultPhase> parse_fault_phase(std::string_view text) {
  if (text == "start") return FaultPhase::kStart;
  if (text == "stop") return FaultPhase::kStop;
  return std::nullopt;
}

std::string SourcePos::to_string() const {
  std::string out = file.empty() ? "<input>" : file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  return out;
}

HistoryError::HistoryError(SourcePos pos, const std::string& message)
    : std::runtime_error(pos.to_string() + ": " + message), pos_(std::move(pos)), reason_(message) {}

}  // namespace faultline::history
