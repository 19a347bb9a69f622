// Loading whole histories from files, in any supported format.
//
// Formats: faultline's JSON Lines (see jsonl.h), Jepsen EDN histories (a
// vector or list of op maps, or op maps one after another), and Jepsen text
// logs ("INFO  jepsen.util - 3	:invoke	:cas	[1 4]"). Every format maps to
// the same event model (event.h). Imported events that carry no index or time
// get index = time = their position, so real-time order is file order.
#ifndef FAULTLINE_CHECKER_LOAD_H_
#define FAULTLINE_CHECKER_LOAD_H_

#include <optional>
#include <string>
#include <string_view>

#include "faultline/checker/event.h"

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

}  // namespace faultline::history

#endif  // FAULTLINE_CHECKER_LOAD_H_
