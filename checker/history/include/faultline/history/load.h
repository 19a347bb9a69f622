// Loading whole histories from files, in any supported format.
//
// Formats: faultline's JSON Lines (see jsonl.h), Jepsen EDN histories (a
// vector or list of op maps, or op maps one after another), and Jepsen text
// logs ("INFO  jepsen.util - 3	:invoke	:cas	[1 4]"). Every format maps to
// the same event model (event.h). Imported events that carry no index or time
// get index = time = their position, so real-time order is file order.
#ifndef FAULTLINE_HISTORY_LOAD_H_
#define FAULTLINE_HISTORY_LOAD_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "faultline/history/event.h"

namespace faultline::history {

enum class Format { kAuto, kJsonl, kEdn, kJepsenLog };

// "auto", "jsonl", "edn", "jepsen-log".
std::string_view to_string(Format format);
std::optional<Format> parse_format(std::string_view text);

// Sniffs the format from the first meaningful bytes of the file.
// Throws HistoryError when the file cannot be read or matches no format.
Format detect_format(const std::string& path);

// Loads a whole history. Throws HistoryError naming file, line and column of
// the first problem (syntax, unknown field values, events that do not pair).
History load_history(const std::string& path, Format format = Format::kAuto);

// What load_history found besides the events.
struct LoadInfo {
  Format format = Format::kAuto;  // the format actually read
  std::size_t operations = 0;     // paired client operations (invocations)
  // JSON Lines only: the file ended in a torn line (a crash mid-write), which
  // was dropped; the history is the prefix before it.
  bool truncated = false;
  std::size_t truncated_line = 0;
};

// As above, also filling `info` (which may be null).
History load_history(const std::string& path, Format format, LoadInfo* info);

// The same over text in memory; `name` stands for the file in errors.
Format detect_format_text(std::string_view head, const std::string& name = "<text>");
History parse_history(std::string_view text, Format format = Format::kAuto, const std::string& name = "<text>",
                      LoadInfo* info = nullptr);

}  // namespace faultline::history

#endif  // FAULTLINE_HISTORY_LOAD_H_
