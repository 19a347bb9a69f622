// Jepsen text logs: the op lines jepsen.util logs as a test runs.
//
// An op line is "<anything>jepsen.util - " or "<anything>jepsen.util: "
// followed by process, type, f and value, separated by tabs or spaces. Each
// field is read with the EDN reader, positioned at its place in the file, so
// errors point into the log. Lines that do not have that shape (other
// loggers, "Relative time begins now", stack traces) are skipped.
#include <string>

#include "faultline/history/jepsen.h"
#include "file_text.h"
#include "jepsen_events.h"
#include "utf8.h"

namespace faultline::history {

namespace {

using detail::brief;
using detail::JepsenRecord;
using edn::Value;

constexpr std::string_view kLogger = "jepsen.util";

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Reads the next form, or returns false if the line has none or it does not
// parse (the caller then knows the line is no op line).
bool try_read(edn::Reader& reader, Value& out) {
  try {
    if (reader.at_end()) return false;
    out = reader.read();
    return true;
  } catch (const HistoryError&) {
    return false;
  }
}

// Reads process, type and f of an op line into `r`, leaving the reader after
// the f. Returns false when the text is not an op line at all.
bool read_op_head(edn::Reader& reader, JepsenRecord& r) {
  Value process;
  Value type;
  if (!try_read(reader, process) || !try_read(reader, type)) return false;
  const bool process_ok = process.kind == Value::Kind::kInt || process.is_keyword("nemesis");
  const bool type_known = type.is_keyword() && parse_op_type(type.text).has_value();
  // "3 :invoke ..." is an op line; so are "x :invoke ..." (with a bad
  // process) and "3 :bogus ..." (with a bad type). Anything else is some
  // other message that jepsen.util logged.
  if (!(type_known || (process_ok && type.is_keyword()))) return false;
  if (!process_ok) reader.fail(process.offset, "process must be an integer or :nemesis, found " + brief(process));
  if (process.kind == Value::Kind::kInt && process.integer < 0) {
    reader.fail(process.offset, "process must be >= 0, found " + brief(process));
  }
  r.type = detail::op_type_of(type, reader);
  r.nemesis = process.is_keyword();
  r.process = r.nemesis ? 0 : process.integer;

  if (reader.at_end()) reader.fail(reader.offset(), "op line ends after the type: expected the f");
  const Value f = reader.read();
  if (f.kind != Value::Kind::kKeyword && f.kind != Value::Kind::kSymbol && f.kind != Value::Kind::kString) {
    reader.fail(f.offset, "f must be a keyword, found " + brief(f));
  }
  r.f = f.text;
  return true;
}

}  // namespace

History parse_jepsen_log(std::string_view text, const std::string& name, std::vector<std::size_t>* op_lines) {
  detail::JepsenHistoryBuilder builder(op_lines);
  std::size_t line_no = 0;
  std::size_t start = 0;
  Value value;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    const std::size_t at = line.find(kLogger);
    if (at == std::string_view::npos) continue;
    std::size_t p = at + kLogger.size();
    // "jepsen.util - 3 ..." (log4j pattern) or "jepsen.util: 3 ..." (logback).
    while (p < line.size() && is_blank(line[p])) ++p;
    if (p < line.size() && (line[p] == '-' || line[p] == ':')) ++p;
    if (p >= line.size() || !is_blank(line[p])) continue;
    while (p < line.size() && is_blank(line[p])) ++p;

    const std::string_view rest = line.substr(p);
    edn::Reader reader(rest, name, line_no, p + 1);
    JepsenRecord record;
    if (!read_op_head(reader, record)) continue;
    record.line = line_no;
    record.index_pos = [&name, line_no] { return SourcePos{name, line_no, 1}; };

    // The value is the next EDN form; whatever follows it is the error text
    // (Jepsen prints the error with str, not as EDN).
    if (!reader.at_end()) {
      value = reader.read();
      record.value = &value;
      std::string_view tail = rest.substr(reader.offset());
      while (!tail.empty() && is_blank(tail.front())) tail.remove_prefix(1);
      while (!tail.empty() && is_blank(tail.back())) tail.remove_suffix(1);
      if (!tail.empty()) record.error = detail::sanitized_utf8(tail);
    }
    builder.add(record);
  }
  return builder.finish();
}

History import_jepsen_log(const std::string& path, std::vector<std::size_t>* op_lines) {
  const std::string text = detail::read_file(path);
  return parse_jepsen_log(text, path, op_lines);
}

}  // namespace faultline::history
