#include "faultline/history/pairing.h"

#include <unordered_map>

namespace faultline::history {

std::vector<Operation> pair_operations(const History& history, const std::string& file) {
  const auto& ops = history.ops;
  std::vector<Operation> out;
  out.reserve(ops.size() / 2 + 1);
  // process -> position in `out` of the operation in flight on it.
  std::unordered_map<std::int64_t, std::size_t> in_flight;
  in_flight.reserve(256);
  auto fail = [&](const Op& op, const std::string& what) {
    throw HistoryError({file, 0, 0}, "event index " + std::to_string(op.index) + " (process " +
                                         std::to_string(op.process) + "): " + what);
  };
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (op.is_invoke()) {
      auto [it, inserted] = in_flight.try_emplace(op.process, out.size());
      if (!inserted) {
        fail(op, "invocation while index " + std::to_string(ops[out[it->second].invoke].index) +
                     " is still in flight on the same process");
      }
      out.push_back(Operation{i, std::nullopt});
    } else {
      auto it = in_flight.find(op.process);
      if (it == in_flight.end()) fail(op, std::string(to_string(op.type)) + " completion with no invocation in flight");
      Operation& pending = out[it->second];
      if (ops[pending.invoke].f != op.f) {
        fail(op, "completion f \"" + op.f + "\" does not match invocation f \"" + ops[pending.invoke].f + "\"");
      }
      pending.completion = i;
      in_flight.erase(it);
    }
  }
  return out;
}

}  // namespace faultline::history
