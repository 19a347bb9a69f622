#include "jsonl_encode.h"

#include <charconv>

#include "faultline/history/jsonl.h"
#include "utf8.h"

namespace faultline::history {

namespace detail {

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  // Invalid UTF-8 would make a line no reader accepts; sanitise instead.
  std::string repaired;
  if (!is_valid_utf8(s)) {
    append_sanitized_utf8(repaired, s);
    s = repaired;
  }
  out += '"';
  std::size_t run = 0;  // start of the current stretch that needs no escaping
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_json(std::string& out, const Json& v) {
  // Fast paths for the values most events carry; everything else goes through
  // nlohmann, told to repair rather than throw on invalid UTF-8.
  switch (v.type()) {
    case Json::value_t::null: out += "null"; return;
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return;
    case Json::value_t::number_integer: append_int(out, v.get<std::int64_t>()); return;
    case Json::value_t::string: append_json_string(out, v.get_ref<const std::string&>()); return;
    default: out += v.dump(-1, ' ', false, Json::error_handler_t::replace); return;
  }
}

void append_op_rest(std::string& out, const Op& op) {
  out += "\"time\":";
  append_int(out, op.time);
  out += ",\"process\":";
  append_int(out, op.process);
  out += ",\"type\":\"";
  out += to_string(op.type);
  out += "\",\"f\":";
  append_json_string(out, op.f);
  if (op.key) {
    out += ",\"key\":";
    append_json_string(out, *op.key);
  }
  out += ",\"value\":";
  append_json(out, op.value);
  if (!op.node.empty()) {
    out += ",\"node\":";
    append_json_string(out, op.node);
  }
  if (!op.error.empty()) {
    out += ",\"error\":";
    append_json_string(out, op.error);
  }
  out += '}';
}

void append_nemesis_rest(std::string& out, const NemesisEvent& event) {
  out += "\"time\":";
  append_int(out, event.time);
  out += ",\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"";
  out += to_string(event.phase);
  out += "\",\"fault\":";
  append_json_string(out, event.fault);
  out += ",\"nodes\":[";
  for (std::size_t i = 0; i < event.nodes.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, event.nodes[i]);
  }
  out += "],\"value\":";
  append_json(out, event.params);
  out += '}';
}

}  // namespace detail

std::string to_json_line(const Op& op) {
  std::string out = "{\"index\":";
  detail::append_int(out, op.index);
  out += ',';
  detail::append_op_rest(out, op);
  return out;
}

std::string to_json_line(const NemesisEvent& event) {
  std::string out = "{\"index\":";
  detail::append_int(out, event.index);
  out += ',';
  detail::append_nemesis_rest(out, event);
  return out;
}

std::string meta_json_line(const Json& meta) {
  std::string out = "{\"meta\":";
  detail::append_json(out, meta);
  out += '}';
  return out;
}

}  // namespace faultline::history
