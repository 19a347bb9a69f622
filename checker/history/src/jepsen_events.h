// Turning Jepsen op records into faultline events (internal; shared by the
// EDN and text-log importers so both map the same way, see jepsen.h).
#ifndef FAULTLINE_HISTORY_SRC_JEPSEN_EVENTS_H_
#define FAULTLINE_HISTORY_SRC_JEPSEN_EVENTS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "faultline/history/edn.h"
#include "faultline/history/event.h"

namespace faultline::history::detail {

// One Jepsen op, fields already checked for type by the importer.
struct JepsenRecord {
  bool nemesis = false;
  std::int64_t process = 0;
  OpType type = OpType::kInvoke;
  std::string f;
  const edn::Value* value = nullptr;  // nullptr: nil / absent
  std::optional<std::int64_t> index;
  std::optional<std::int64_t> time;
  std::optional<std::string> key;
  std::string node;
  std::string error;
  std::size_t line = 0;  // where the record is, for op_lines
  // Where to point errors about this record's index.
  std::function<SourcePos()> index_pos;
};

class JepsenHistoryBuilder {
 public:
  explicit JepsenHistoryBuilder(std::vector<std::size_t>* op_lines) : op_lines_(op_lines) {}

  // Throws HistoryError (at record.index_pos()) when the index does not
  // increase.
  void add(JepsenRecord& record);
  History finish();

 private:
  struct PendingNemesis {
    OpType type;
    std::string f;
    std::int64_t index;
    std::int64_t time;
    Json value;
  };
  void emit_nemesis(const std::string& f, std::int64_t index, std::int64_t time, Json value);

  History history_;
  std::vector<std::size_t>* op_lines_;
  std::int64_t position_ = 0;
  std::int64_t last_index_ = -1;
  std::optional<PendingNemesis> pending_;
  std::string open_plain_fault_;  // fault of the last plain "start", for its "stop"
};

// Text for a Jepsen value kept as a string field (key, node, error, f):
// strings as themselves, keywords and symbols without punctuation, integers in
// decimal; nullopt for anything else.
std::optional<std::string> name_of(const edn::Value& value);

// A short EDN rendering of a value, for error messages.
std::string brief(const edn::Value& value);

// The op type a keyword (:invoke, :ok, :fail, :info) names; throws
// HistoryError at the value otherwise.
OpType op_type_of(const edn::Value& value, const edn::Reader& reader);

}  // namespace faultline::history::detail

#endif  // FAULTLINE_HISTORY_SRC_JEPSEN_EVENTS_H_
