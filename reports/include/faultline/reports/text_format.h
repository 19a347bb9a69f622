// Small text helpers shared by the report, index and JUnit writers, and by
// the harness for what it prints (counts with thousands separators).
#ifndef FAULTLINE_REPORTS_TEXT_FORMAT_H_
#define FAULTLINE_REPORTS_TEXT_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace faultline::reports {

// ns -> "12.3 s" (one decimal; three below 1 s so short runs still read).
std::string seconds_text(std::int64_t ns);
// ns -> "12.345 s": for operations, where milliseconds matter.
std::string precise_seconds_text(std::int64_t ns);
// 1494 -> "1,494".
std::string thousands(std::int64_t n);
// &, <, >, " and ' escaped for HTML text and attribute values.
std::string html_escape(std::string_view s);
inline std::string esc(std::string_view s) { return html_escape(s); }  // the pages' shorthand

inline constexpr std::int64_t kSecond = 1'000'000'000;  // history times are nanoseconds
// XML 1.0: as html_escape, and characters XML forbids dropped.
std::string xml_escape(std::string_view s);
// JSON text made safe inside <script>: "</" and U+2028/9 escaped.
std::string script_safe(std::string json);

}  // namespace faultline::reports

#endif  // FAULTLINE_REPORTS_TEXT_FORMAT_H_
