#include "faultline/checker/event.h"

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
