// Decoding one line of a JSON Lines history, parsed in place by simdjson's
// On Demand parser, into an operation, a nemesis event or meta. Only `value`
// (and a nemesis event's parameters) become nlohmann::json; fields with a
// fixed type go straight into the event. Private to the history reader
// (jsonl_reader.cpp), which owns the buffers, the line numbers and the error
// reporting.
#ifndef FAULTLINE_HISTORY_SRC_JSONL_LINE_H_
#define FAULTLINE_HISTORY_SRC_JSONL_LINE_H_

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "faultline/history/event.h"

namespace faultline::history::jsonl_line {

// A line that could not be decoded. `syntax` marks problems with the JSON
// itself rather than with the event it describes.
struct LineFault {
  std::size_t column = 1;
  std::string message;
  bool syntax = false;
  // The column is exact (not where a lazy parser happened to notice), so it
  // beats the re-parse's guess.
  bool exact = false;
};

enum class LineKind { kOp, kNemesis, kMeta };

// Where a decoded line goes; `last_index` is the previous event's index
// (indexes must grow), updated by each event.
struct LineTarget {
  Op& op;
  NemesisEvent& nemesis;
  Json& meta;  // meta lines are merged into it
  std::int64_t& last_index;
};

// `line` must have `capacity` bytes readable from its start (the line plus
// simdjson's padding). Throws LineFault.
LineKind decode_line(simdjson::ondemand::parser& parser, std::string_view line, std::size_t capacity, LineTarget to);

}  // namespace faultline::history::jsonl_line

#endif  // FAULTLINE_HISTORY_SRC_JSONL_LINE_H_
