#include "jsonl_line.h"

#include <charconv>
#include <cstdlib>
#include <utility>

namespace faultline::history::jsonl_line {

namespace ondemand = simdjson::ondemand;

namespace {

[[noreturn]] void syntax_fault(simdjson::error_code err, std::size_t column = 1) {
  throw LineFault{column, simdjson::error_message(err), true};
}

LineFault semantic(std::size_t column, std::string message) { return LineFault{column, std::move(message), false}; }

std::string_view json_type_name(ondemand::json_type t) {
  switch (t) {
    case ondemand::json_type::array: return "an array";
    case ondemand::json_type::object: return "an object";
    case ondemand::json_type::number: return "a number";
    case ondemand::json_type::string: return "a string";
    case ondemand::json_type::boolean: return "a boolean";
    case ondemand::json_type::null: return "null";
  }
  return "a value";
}

// Converts an On Demand value into nlohmann::json, consuming it.
simdjson::error_code to_json(ondemand::value v, Json& out) {
  ondemand::json_type type;
  if (auto err = v.type().get(type)) return err;
  switch (type) {
    case ondemand::json_type::null: {
      bool is_null = false;
      if (auto err = v.is_null().get(is_null)) return err;
      if (!is_null) return simdjson::N_ATOM_ERROR;
      out = nullptr;
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::boolean: {
      bool b = false;
      if (auto err = v.get_bool().get(b)) return err;
      out = b;
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::string: {
      std::string_view s;
      if (auto err = v.get_string().get(s)) return err;
      out = std::string(s);
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::number: {
      std::string_view raw = v.raw_json_token();
      ondemand::number n;
      if (v.get_number().get(n) != simdjson::SUCCESS) {
        // Integers beyond 64 bits: keep them as doubles, as nlohmann would.
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r' || raw.back() == '\n')) {
          raw.remove_suffix(1);
        }
        double d = 0;
        auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), d);
        if (ptr != raw.data() + raw.size()) return simdjson::NUMBER_ERROR;
        if (ec == std::errc::result_out_of_range) d = std::strtod(std::string(raw).c_str(), nullptr);
        out = d;
        return simdjson::SUCCESS;
      }
      switch (n.get_number_type()) {
        case ondemand::number_type::signed_integer: out = n.get_int64(); break;
        case ondemand::number_type::unsigned_integer: out = n.get_uint64(); break;
        case ondemand::number_type::floating_point_number: out = n.get_double(); break;
      }
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::array: {
      ondemand::array array;
      if (auto err = v.get_array().get(array)) return err;
      out = Json::array();
      // Counting first (a walk over structural indexes, then a rewind) sizes
      // the vector once instead of growing it element by element.
      std::size_t count = 0;
      if (auto err = array.count_elements().get(count)) return err;
      out.get_ref<Json::array_t&>().reserve(count);
      for (auto element : array) {
        ondemand::value ev;
        if (auto err = element.get(ev)) return err;
        Json item;
        if (auto err = to_json(ev, item)) return err;
        out.push_back(std::move(item));
      }
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::object: {
      ondemand::object object;
      if (auto err = v.get_object().get(object)) return err;
      out = Json::object();
      for (auto field : object) {
        std::string_view key;
        if (auto err = field.unescaped_key().get(key)) return err;
        ondemand::value fv;
        if (auto err = field.value().get(fv)) return err;
        Json item;
        if (auto err = to_json(fv, item)) return err;
        out[std::string(key)] = std::move(item);
      }
      return simdjson::SUCCESS;
    }
  }
  return simdjson::INCORRECT_TYPE;
}


// What one line said, field by field, before it is known to be an operation,
// a nemesis event or meta.
struct LineFields {
  bool has_index = false, has_time = false, has_process = false, has_type = false, has_f = false;
  bool has_fault = false, has_meta = false, is_nemesis = false;
  std::size_t index_column = 1, type_column = 1, f_column = 1;
  std::int64_t index = -1, time = 0, process = 0;
  std::string_view type_text;  // points into the parser, valid for this line
};

class LineDecoder {
 public:
  LineDecoder(std::string_view line, LineTarget to) : line_(line), to_(to) {}

  LineKind decode(ondemand::parser& parser, std::size_t capacity) {
    ondemand::document doc;
    if (auto err = parser.iterate(line_.data(), line_.size(), capacity).get(doc)) syntax_fault(err);
    ondemand::object object;
    if (auto err = doc.get_object().get(object)) {
      if (err == simdjson::INCORRECT_TYPE) throw semantic(1, "a history line must be a JSON object");
      syntax_fault(err);
    }
    Op& op = to_.op;
    op.key.reset();
    op.node.clear();
    op.error.clear();
    op.value = nullptr;
    to_.nemesis.nodes.clear();
    for (auto field_result : object) {
      ondemand::field field;
      if (auto err = std::move(field_result).get(field)) syntax_fault(err);
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) syntax_fault(err);
      ondemand::value v = field.value();
      decode_field(key, v);
    }
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == simdjson::SUCCESS) {
      throw LineFault{static_cast<std::size_t>(rest - line_.data()) + 1, "unexpected text after the JSON object", true,
                      true};
    }
    return finish();
  }

 private:
  std::size_t column_of(ondemand::value& v) const {
    const std::string_view raw = v.raw_json_token();
    return static_cast<std::size_t>(raw.data() - line_.data()) + 1;
  }

  std::int64_t get_int(ondemand::value& v, const char* what) const {
    std::int64_t out = 0;
    const std::size_t col = column_of(v);
    if (auto err = v.get_int64().get(out)) {
      if (err == simdjson::INCORRECT_TYPE || err == simdjson::NUMBER_OUT_OF_RANGE) {
        throw semantic(col, std::string("\"") + what + "\" must be an integer");
      }
      syntax_fault(err, col);
    }
    return out;
  }

  std::string_view get_string(ondemand::value& v, const char* what) const {
    std::string_view out;
    const std::size_t col = column_of(v);
    if (auto err = v.get_string().get(out)) {
      if (err == simdjson::INCORRECT_TYPE) throw semantic(col, std::string("\"") + what + "\" must be a string");
      syntax_fault(err, col);
    }
    return out;
  }

  bool is_null(ondemand::value& v) const {
    // Positions are taken before each call: after an error the value
    // must not be touched again.
    const std::size_t col = column_of(v);
    ondemand::json_type t;
    if (auto err = v.type().get(t)) syntax_fault(err, col);
    if (t != ondemand::json_type::null) return false;
    bool null = false;
    if (auto err = v.is_null().get(null)) syntax_fault(err, col);
    return true;
  }

  ondemand::json_type type_of(ondemand::value& v) const {
    const std::size_t col = column_of(v);  // before the call, as in is_null
    ondemand::json_type t;
    if (auto err = v.type().get(t)) syntax_fault(err, col);
    return t;
  }

  // Any JSON value, converted whole (converting is also what validates it).
  Json get_json(ondemand::value& v) const {
    const std::size_t col = column_of(v);
    Json out;
    if (auto err = to_json(v, out)) syntax_fault(err, col);
    return out;
  }

  void decode_field(std::string_view key, ondemand::value& v) {
    Op& op = to_.op;
    if (key == "index") {
      f_.index_column = column_of(v);
      f_.index = get_int(v, "index");
      if (f_.index < 0) throw semantic(f_.index_column, "\"index\" must be >= 0");
      f_.has_index = true;
    } else if (key == "time") {
      f_.time = get_int(v, "time");
      f_.has_time = true;
    } else if (key == "process") {
      decode_process(v);
    } else if (key == "type") {
      f_.type_column = column_of(v);
      f_.type_text = get_string(v, "type");
      f_.has_type = true;
    } else if (key == "f") {
      f_.f_column = column_of(v);
      const std::string_view f = get_string(v, "f");
      op.f.assign(f.data(), f.size());
      f_.has_f = true;
    } else if (key == "key") {
      decode_key(v);
    } else if (key == "value") {
      const std::size_t col = column_of(v);
      if (auto err = to_json(v, op.value)) syntax_fault(err, col);
    } else if (key == "node") {
      if (!is_null(v)) {
        const std::string_view s = get_string(v, "node");
        op.node.assign(s.data(), s.size());
      }
    } else if (key == "error") {
      decode_error(v);
    } else if (key == "fault") {
      const std::string_view s = get_string(v, "fault");
      to_.nemesis.fault.assign(s.data(), s.size());
      f_.has_fault = true;
    } else if (key == "nodes") {
      const std::size_t col = column_of(v);
      const Json nodes = get_json(v);
      if (!nodes.is_array()) throw semantic(col, "\"nodes\" must be an array of strings");
      for (const Json& n : nodes) {
        if (!n.is_string()) throw semantic(col, "\"nodes\" must be an array of strings");
        to_.nemesis.nodes.push_back(n.get<std::string>());
      }
    } else if (key == "meta") {
      const std::size_t col = column_of(v);
      const Json m = get_json(v);
      if (!m.is_object()) throw semantic(col, "\"meta\" must be an object");
      to_.meta.update(m);
      f_.has_meta = true;
    } else {
      // Unknown fields are allowed (the format may grow) but must still be
      // well-formed JSON; converting them is the validation.
      (void)get_json(v);
    }
  }

  void decode_process(ondemand::value& v) {
    const std::size_t col = column_of(v);
    const ondemand::json_type t = type_of(v);
    if (t == ondemand::json_type::string) {
      std::string_view s;
      if (auto err = v.get_string().get(s)) syntax_fault(err, col);
      if (s != "nemesis") {
        throw semantic(col, "\"process\" must be an integer >= 0 or \"nemesis\", not \"" + std::string(s) + "\"");
      }
      f_.is_nemesis = true;
    } else {
      if (t != ondemand::json_type::number) {
        throw semantic(col, "\"process\" must be an integer >= 0 or \"nemesis\", not " +
                                std::string(json_type_name(t)));
      }
      f_.process = get_int(v, "process");
      if (f_.process < 0) throw semantic(col, "\"process\" must be >= 0");
      f_.is_nemesis = false;
    }
    f_.has_process = true;
  }

  void decode_key(ondemand::value& v) {
    const std::size_t col = column_of(v);
    const ondemand::json_type t = type_of(v);
    if (t == ondemand::json_type::string) {
      const std::string_view k = get_string(v, "key");
      to_.op.key.emplace(k.data(), k.size());
    } else if (t == ondemand::json_type::number) {
      to_.op.key.emplace(std::to_string(get_int(v, "key")));
    } else if (!is_null(v)) {
      throw semantic(col, "\"key\" must be a string or an integer");
    }
  }

  void decode_error(ondemand::value& v) {
    if (type_of(v) == ondemand::json_type::string) {
      const std::string_view s = get_string(v, "error");
      to_.op.error.assign(s.data(), s.size());
      return;
    }
    // Other tools put structured errors here; keep them as JSON text.
    const Json e = get_json(v);
    to_.op.error = e.is_null() ? std::string() : e.dump(-1, ' ', false, Json::error_handler_t::replace);
  }

  // The fields read, checked together: what the line is, and its index.
  LineKind finish() {
    if (f_.has_meta) return LineKind::kMeta;
    if (!f_.has_process) throw semantic(1, "missing field \"process\"");
    if (!f_.has_type) throw semantic(1, "missing field \"type\"");
    if (!f_.has_f) throw semantic(1, "missing field \"f\"");
    std::int64_t& last_index = to_.last_index;
    if (!f_.has_index) f_.index = last_index + 1;
    if (f_.index <= last_index) {
      throw semantic(f_.index_column, "\"index\" " + std::to_string(f_.index) +
                                          " is not greater than the previous event's index " +
                                          std::to_string(last_index));
    }
    if (!f_.has_time) f_.time = f_.index;
    Op& op = to_.op;
    if (f_.is_nemesis) {
      if (f_.type_text != "info") {
        throw semantic(f_.type_column,
                       "a nemesis event must have \"type\" \"info\", not \"" + std::string(f_.type_text) + "\"");
      }
      const auto phase = parse_fault_phase(op.f);
      if (!phase) throw semantic(f_.f_column, "a nemesis event's \"f\" must be \"start\" or \"stop\", not \"" + op.f + "\"");
      if (!f_.has_fault) throw semantic(1, "missing field \"fault\" on a nemesis event");
      NemesisEvent& nemesis = to_.nemesis;
      nemesis.index = f_.index;
      nemesis.time = f_.time;
      nemesis.phase = *phase;
      nemesis.params = std::move(op.value);
      last_index = f_.index;
      return LineKind::kNemesis;
    }
    const auto type = parse_op_type(f_.type_text);
    if (!type) {
      throw semantic(f_.type_column, "unknown \"type\" \"" + std::string(f_.type_text) +
                                         "\": expected invoke, ok, fail or info");
    }
    op.index = f_.index;
    op.time = f_.time;
    op.process = f_.process;
    op.type = *type;
    last_index = f_.index;
    return LineKind::kOp;
  }

  std::string_view line_;
  LineTarget to_;
  LineFields f_;
};

}  // namespace

LineKind decode_line(ondemand::parser& parser, std::string_view line, std::size_t capacity, LineTarget to) {
  return LineDecoder(line, to).decode(parser, capacity);
}

}  // namespace faultline::history::jsonl_line
