#include "faultline/history/load.h"

#include <unordered_map>
#include <vector>

#include "faultline/history/jepsen.h"
#include "faultline/history/jsonl.h"
#include "faultline/history/pairing.h"
#include "file_text.h"

namespace faultline::history {

std::string_view to_string(Format format) {
  switch (format) {
    case Format::kAuto: return "auto";
    case Format::kJsonl: return "jsonl";
    case Format::kEdn: return "edn";
    case Format::kJepsenLog: return "jepsen-log";
  }
  return "auto";
}

std::optional<Format> parse_format(std::string_view text) {
  if (text == "auto") return Format::kAuto;
  if (text == "jsonl" || text == "json" || text == "ndjson") return Format::kJsonl;
  if (text == "edn") return Format::kEdn;
  if (text == "jepsen-log" || text == "log") return Format::kJepsenLog;
  return std::nullopt;
}

namespace {

// How much of a file detect_format looks at.
constexpr std::size_t kSniffBytes = 64 * 1024;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool is_log_line(std::string_view line) {
  if (line.find("jepsen.util -") != std::string_view::npos || line.find("jepsen.util:") != std::string_view::npos) {
    return true;
  }
  for (std::string_view level : {"INFO", "WARN", "ERROR", "DEBUG", "TRACE"}) {
    if (starts_with(line, level)) return true;
  }
  // Logback's default pattern starts with a timestamp: "2017-03-01 10:00:00,123".
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return line.size() >= 11 && digit(line[0]) && digit(line[1]) && digit(line[2]) && digit(line[3]) &&
         line[4] == '-' && digit(line[5]) && digit(line[6]) && line[7] == '-' && line.find("jepsen") != std::string_view::npos;
}

// Finds the op that pair_operations rejected (the same rules, scanned again
// only on failure) so the error can name its line.
std::optional<std::size_t> first_unpaired(const History& history) {
  std::unordered_map<std::int64_t, const std::string*> in_flight;
  for (std::size_t i = 0; i < history.ops.size(); ++i) {
    const Op& op = history.ops[i];
    auto it = in_flight.find(op.process);
    if (op.is_invoke()) {
      if (it != in_flight.end()) return i;
      in_flight.emplace(op.process, &op.f);
    } else {
      if (it == in_flight.end() || *it->second != op.f) return i;
      in_flight.erase(it);
    }
  }
  return std::nullopt;
}

// Rejects histories whose completions do not pair, naming the first offence
// by index and, where known, by line.
std::size_t validate_pairing(const History& history, const std::string& name,
                             const std::vector<std::size_t>& op_lines) {
  try {
    return pair_operations(history, name).size();
  } catch (const HistoryError& e) {
    const auto bad = first_unpaired(history);
    if (bad && *bad < op_lines.size()) throw HistoryError({name, op_lines[*bad], 0}, e.reason());
    throw;
  }
}

History finish(History history, Format format, const std::string& name, const std::vector<std::size_t>& op_lines,
               LoadInfo* info) {
  const std::size_t operations = validate_pairing(history, name, op_lines);
  if (info) {
    info->format = format;
    info->operations = operations;
  }
  return history;
}

}  // namespace

Format detect_format_text(std::string_view head, const std::string& name) {
  if (starts_with(head, "\xEF\xBB\xBF")) head.remove_prefix(3);
  std::size_t i = 0;
  while (i < head.size() && is_space(head[i])) ++i;
  // An empty file is an empty history: what a run that wrote nothing leaves.
  if (i == head.size()) return Format::kJsonl;
  const char c = head[i];
  if (c == '{') {
    std::size_t j = i + 1;
    while (j < head.size() && is_space(head[j])) ++j;
    return j < head.size() && (head[j] == '"' || head[j] == '}') ? Format::kJsonl : Format::kEdn;
  }
  if (c == '[' || c == '(' || c == ';' || c == '#') return Format::kEdn;
  // Logs may open with lines from other loggers; look at the first few.
  std::size_t start = i;
  for (int n = 0; n < 50 && start < head.size(); ++n) {
    std::size_t end = head.find('\n', start);
    if (end == std::string_view::npos) end = head.size();
    if (is_log_line(head.substr(start, end - start))) return Format::kJepsenLog;
    start = end + 1;
  }
  std::string first(head.substr(i, std::min<std::size_t>(40, head.size() - i)));
  for (char& ch : first) {
    if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7F) ch = '?';
  }
  throw HistoryError({name, 0, 0}, "cannot tell the history format from \"" + first +
                                       "\": expected JSON Lines ({\"index\":...), Jepsen EDN ([{:process ...) "
                                       "or a Jepsen log (INFO  jepsen.util - ...)");
}

Format detect_format(const std::string& path) {
  return detect_format_text(detail::read_file(path, kSniffBytes), path);
}

History load_history(const std::string& path, Format format) { return load_history(path, format, nullptr); }

History load_history(const std::string& path, Format format, LoadInfo* info) {
  if (format == Format::kAuto) format = detect_format(path);
  std::vector<std::size_t> op_lines;
  switch (format) {
    case Format::kJsonl: {
      ReadInfo read;
      History h = read_jsonl(path, &read, &op_lines);
      if (info) {
        info->truncated = read.truncated;
        info->truncated_line = read.truncated_line;
      }
      return finish(std::move(h), format, path, op_lines, info);
    }
    case Format::kEdn:
      return finish(import_jepsen_edn(path, &op_lines), format, path, op_lines, info);
    case Format::kJepsenLog:
    case Format::kAuto:
      return finish(import_jepsen_log(path, &op_lines), Format::kJepsenLog, path, op_lines, info);
  }
  return {};
}

History parse_history(std::string_view text, Format format, const std::string& name, LoadInfo* info) {
  if (format == Format::kAuto) format = detect_format_text(text.substr(0, kSniffBytes), name);
  std::vector<std::size_t> op_lines;
  switch (format) {
    case Format::kJsonl: {
      ReadInfo read;
      History h = read_jsonl_text(text, name, &read, &op_lines);
      if (info) {
        info->truncated = read.truncated;
        info->truncated_line = read.truncated_line;
      }
      return finish(std::move(h), format, name, op_lines, info);
    }
    case Format::kEdn:
      return finish(parse_jepsen_edn(text, name, &op_lines), format, name, op_lines, info);
    case Format::kJepsenLog:
    case Format::kAuto:
      return finish(parse_jepsen_log(text, name, &op_lines), Format::kJepsenLog, name, op_lines, info);
  }
  return {};
}

}  // namespace faultline::history
