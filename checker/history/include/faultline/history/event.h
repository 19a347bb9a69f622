// The history model: one event per line of a run's history.
//
// A history is a sequence of events in one total order (`index`). Client
// events come in pairs: an `invoke` and exactly one completion on the same
// process: `ok` (it happened), `fail` (it definitely did not happen) or `info`
// (unknown: it may take effect at any time after its invocation, or never).
// After an `info` the process is retired; the client continues as a fresh
// process id. Nemesis events mark the start and stop of a fault window.
//
// Times are nanoseconds since the run began, from one monotonic clock.
#ifndef FAULTLINE_HISTORY_EVENT_H_
#define FAULTLINE_HISTORY_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline::history {

using Json = nlohmann::json;

enum class OpType : std::uint8_t { kInvoke, kOk, kFail, kInfo };

// "invoke", "ok", "fail", "info".
std::string_view to_string(OpType type);
// Inverse of to_string; nullopt for anything else.
std::optional<OpType> parse_op_type(std::string_view text);

// One client event: an invocation or its completion.
struct Op {
  std::int64_t index = -1;  // position in the history; strictly increasing
  std::int64_t time = 0;    // ns since the run began (monotonic)
  std::int64_t process = 0; // logical client process, >= 0
  OpType type = OpType::kInvoke;
  std::string f;                   // "read", "write", "cas", "add", "get", ...
  std::optional<std::string> key;  // for keyed workloads (kv, independent keys)
  Json value;                      // null when the event carries no value
  std::string node;                // node the client talked to; "" when unknown
  std::string error;               // reason on fail/info; "" when none

  bool is_invoke() const { return type == OpType::kInvoke; }
  bool is_completion() const { return type != OpType::kInvoke; }
  friend bool operator==(const Op&, const Op&) = default;
};

// A cas that was carried out and found another value than `from` is an
// observation, recorded as an `ok` completion whose value is {"ok": false}
// (a `fail` cas did not happen and says nothing). True for such a completion.
bool is_compare_failed(const Op& completion);

struct History;
// For sources whose `fail` on a cas means the comparison was made and found
// another value (Porcupine's etcd logs; `faultline check --failed-cas
// observe`): rewrites each fail cas completion without error text into that
// observation, an ok completion with value {"ok": false}. A fail with an
// error (timeout, unavailable) stays a fail. Returns how many were rewritten.
std::size_t observe_failed_cas(History& history);

enum class FaultPhase : std::uint8_t { kStart, kStop };

// "start", "stop".
std::string_view to_string(FaultPhase phase);
std::optional<FaultPhase> parse_fault_phase(std::string_view text);

// The start or stop of one fault window. Written with process "nemesis".
struct NemesisEvent {
  std::int64_t index = -1;
  std::int64_t time = 0;
  FaultPhase phase = FaultPhase::kStart;
  std::string fault;               // "partition", "netem", "pause", "kill", "clock", ...
  std::vector<std::string> nodes;  // nodes the fault acts on
  Json params;                     // fault parameters (grudge, delay, skew, ...)

  friend bool operator==(const NemesisEvent&, const NemesisEvent&) = default;
};

// A whole history in memory. `ops` and `nemesis` are each in index order;
// indices are unique across both, so merging them restores the file order.
struct History {
  Json meta = Json::object();  // run metadata: model, workload, seed, ...
  std::vector<Op> ops;
  std::vector<NemesisEvent> nemesis;
};

// Where an error in an input file is. line and column are 1-based; 0 = unknown.
struct SourcePos {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
  std::string to_string() const;  // "file:line:column"
};

// Bad input: unreadable files, syntax errors, events that do not pair.
// The message names what is wrong; `pos` says where.
class HistoryError : public std::runtime_error {
 public:
  HistoryError(SourcePos pos, const std::string& message);
  const SourcePos& pos() const { return pos_; }
  const std::string& reason() const { return reason_; }

 private:
  SourcePos pos_;
  std::string reason_;
};

}  // namespace faultline::history

#endif  // FAULTLINE_HISTORY_EVENT_H_
