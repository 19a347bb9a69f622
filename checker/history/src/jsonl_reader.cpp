// Reading JSON Lines histories.
//
// Speed comes from three choices: the file is read in large chunks and split
// on '\n' with memchr (no per-line allocation, no std::getline); each line is
// parsed in place by simdjson's On Demand parser, whose padding requirement is
// met by keeping spare bytes after the chunk buffer; and only `value`
// (and a nemesis event's parameters) become nlohmann::json, the fields with a
// fixed type going straight into the event. Errors are rare, so the error path
// is allowed to be slow: it re-parses the offending line with nlohmann::json to
// tell a syntax error (with its column) from a well-formed line that is not a
// valid event.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include "faultline/history/jsonl.h"

namespace faultline::history {

namespace {

namespace ondemand = simdjson::ondemand;

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

[[noreturn]] void syntax_fault(simdjson::error_code err, std::size_t column = 1) {
  throw LineFault{column, simdjson::error_message(err), true};
}

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

// "[json.exception.parse_error.101] parse error at line 1, column 9: syntax
// error while parsing ..." -> "syntax error while parsing ...".
std::string describe_parse_error(const Json::parse_error& e) {
  std::string what = e.what();
  const std::size_t col = what.find("column ");
  const std::size_t colon = what.find(": ", col == std::string::npos ? 0 : col);
  if (colon != std::string::npos) return what.substr(colon + 2);
  return what;
}

}  // namespace

struct HistoryReader::Impl {
  std::string name;
  int fd = -1;
  bool from_memory = false;
  std::string owned_text;
  std::string_view memory;
  std::size_t memory_pos = 0;
  std::uint64_t size_hint = 0;

  std::unique_ptr<char[]> buf;
  std::size_t cap = 0;      // usable bytes; SIMDJSON_PADDING more are allocated
  std::size_t begin = 0;    // first unconsumed byte
  std::size_t end = 0;      // one past the last byte read
  std::size_t scanned = 0;  // bytes before this hold no '\n' of the current line
  bool eof = false;

  std::size_t line_no = 0;
  std::size_t event_line = 0;
  std::int64_t last_index = -1;
  Json meta = Json::object();
  bool truncated = false;
  std::size_t truncated_bytes = 0;
  std::size_t truncated_line = 0;

  ondemand::parser parser;
  Op op;                  // scratch for next(), swapped into the caller's Event
  NemesisEvent nemesis;   // scratch

  ~Impl() {
    if (fd >= 0) ::close(fd);
  }

  void allocate(std::size_t bytes) {
    auto fresh = std::make_unique<char[]>(bytes + simdjson::SIMDJSON_PADDING);
    if (buf) std::memcpy(fresh.get(), buf.get() + begin, end - begin);
    std::memset(fresh.get() + bytes, 0, simdjson::SIMDJSON_PADDING);
    end -= begin;
    scanned -= begin;
    begin = 0;
    buf = std::move(fresh);
    cap = bytes;
  }

  void read_more() {
    if (begin > 0) {
      std::memmove(buf.get(), buf.get() + begin, end - begin);
      end -= begin;
      scanned -= begin;
      begin = 0;
    }
    if (end == cap) allocate(cap * 2);  // a line longer than the buffer
    std::size_t n = 0;
    if (from_memory) {
      n = std::min(cap - end, memory.size() - memory_pos);
      std::memcpy(buf.get() + end, memory.data() + memory_pos, n);
      memory_pos += n;
    } else {
      ssize_t got;
      do {
        got = ::read(fd, buf.get() + end, cap - end);
      } while (got < 0 && errno == EINTR);
      if (got < 0) throw HistoryError({name, line_no + 1, 0}, std::string("cannot read: ") + std::strerror(errno));
      n = static_cast<std::size_t>(got);
    }
    if (n == 0) eof = true;
    end += n;
  }

  // The next line without its '\n'; `terminated` is false for a final line
  // that has none.
  bool next_line(std::string_view& line, bool& terminated) {
    while (true) {
      if (scanned < end) {
        const void* nl = std::memchr(buf.get() + scanned, '\n', end - scanned);
        if (nl != nullptr) {
          const std::size_t at = static_cast<const char*>(nl) - buf.get();
          line = std::string_view(buf.get() + begin, at - begin);
          begin = scanned = at + 1;
          terminated = true;
          return true;
        }
        scanned = end;
      }
      if (eof) {
        if (begin == end) return false;
        line = std::string_view(buf.get() + begin, end - begin);
        begin = scanned = end;
        terminated = false;
        return true;
      }
      read_more();
    }
  }

  enum class Kind { kOp, kNemesis, kMeta };

  // Decodes one line into `op`, `nemesis` or `meta`. Throws LineFault.
  Kind decode(std::string_view line, Op& op) {
    const std::size_t capacity = cap + simdjson::SIMDJSON_PADDING - (line.data() - buf.get());
    auto column_of = [&](ondemand::value& v) -> std::size_t {
      const std::string_view raw = v.raw_json_token();
      return static_cast<std::size_t>(raw.data() - line.data()) + 1;
    };
    auto semantic = [](std::size_t column, std::string message) -> LineFault {
      return LineFault{column, std::move(message), false};
    };

    ondemand::document doc;
    if (auto err = parser.iterate(line.data(), line.size(), capacity).get(doc)) syntax_fault(err);
    ondemand::object object;
    if (auto err = doc.get_object().get(object)) {
      if (err == simdjson::INCORRECT_TYPE) {
        throw semantic(1, "a history line must be a JSON object");
      }
      syntax_fault(err);
    }

    bool has_index = false, has_time = false, has_process = false, has_type = false, has_f = false;
    bool has_fault = false, has_meta = false, is_nemesis = false;
    std::size_t index_column = 1, type_column = 1, f_column = 1;
    std::int64_t index = -1, time = 0, process = 0;
    std::string_view type_text;  // points into the parser, valid for this line
    op.key.reset();
    op.node.clear();
    op.error.clear();
    op.value = nullptr;
    nemesis.nodes.clear();

    for (auto field_result : object) {
      ondemand::field field;
      if (auto err = std::move(field_result).get(field)) syntax_fault(err);
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) syntax_fault(err);
      ondemand::value v = field.value();

      auto get_int = [&](const char* what) -> std::int64_t {
        std::int64_t out = 0;
        const std::size_t col = column_of(v);
        if (auto err = v.get_int64().get(out)) {
          if (err == simdjson::INCORRECT_TYPE || err == simdjson::NUMBER_OUT_OF_RANGE) {
            throw semantic(col, std::string("\"") + what + "\" must be an integer");
          }
          syntax_fault(err, col);
        }
        return out;
      };
      auto get_string = [&](const char* what) -> std::string_view {
        std::string_view out;
        const std::size_t col = column_of(v);
        if (auto err = v.get_string().get(out)) {
          if (err == simdjson::INCORRECT_TYPE) throw semantic(col, std::string("\"") + what + "\" must be a string");
          syntax_fault(err, col);
        }
        return out;
      };
      auto is_null = [&]() {
        // Positions are taken before each call: after an error the value
        // must not be touched again.
        const std::size_t col = column_of(v);
        ondemand::json_type t;
        if (auto err = v.type().get(t)) syntax_fault(err, col);
        if (t != ondemand::json_type::null) return false;
        bool null = false;
        if (auto err = v.is_null().get(null)) syntax_fault(err, col);
        return true;
      };

      if (key == "index") {
        index_column = column_of(v);
        index = get_int("index");
        if (index < 0) throw semantic(index_column, "\"index\" must be >= 0");
        has_index = true;
      } else if (key == "time") {
        time = get_int("time");
        has_time = true;
      } else if (key == "process") {
        const std::size_t col = column_of(v);
        ondemand::json_type t;
        if (auto err = v.type().get(t)) syntax_fault(err, col);
        if (t == ondemand::json_type::string) {
          std::string_view s;
          if (auto err = v.get_string().get(s)) syntax_fault(err, col);
          if (s != "nemesis") {
            throw semantic(col, "\"process\" must be an integer >= 0 or \"nemesis\", not \"" + std::string(s) + "\"");
          }
          is_nemesis = true;
        } else {
          if (t != ondemand::json_type::number) {
            throw semantic(col, "\"process\" must be an integer >= 0 or \"nemesis\", not " +
                                    std::string(json_type_name(t)));
          }
          process = get_int("process");
          if (process < 0) throw semantic(col, "\"process\" must be >= 0");
          is_nemesis = false;
        }
        has_process = true;
      } else if (key == "type") {
        type_column = column_of(v);
        type_text = get_string("type");
        has_type = true;
      } else if (key == "f") {
        f_column = column_of(v);
        const std::string_view f = get_string("f");
        op.f.assign(f.data(), f.size());
        has_f = true;
      } else if (key == "key") {
        const std::size_t col = column_of(v);
        ondemand::json_type t;
        if (auto err = v.type().get(t)) syntax_fault(err, col);
        if (t == ondemand::json_type::string) {
          const std::string_view k = get_string("key");
          op.key.emplace(k.data(), k.size());
        } else if (t == ondemand::json_type::number) {
          op.key.emplace(std::to_string(get_int("key")));
        } else if (!is_null()) {
          throw semantic(col, "\"key\" must be a string or an integer");
        }
      } else if (key == "value") {
        const std::size_t col = column_of(v);
        if (auto err = to_json(v, op.value)) syntax_fault(err, col);
      } else if (key == "node") {
        if (!is_null()) {
          const std::string_view s = get_string("node");
          op.node.assign(s.data(), s.size());
        }
      } else if (key == "error") {
        ondemand::json_type t;
        const std::size_t col = column_of(v);
        if (auto err = v.type().get(t)) syntax_fault(err, col);
        if (t == ondemand::json_type::string) {
          const std::string_view s = get_string("error");
          op.error.assign(s.data(), s.size());
        } else {
          // Other tools put structured errors here; keep them as JSON text.
          Json e;
          if (auto err = to_json(v, e)) syntax_fault(err, col);
          op.error = e.is_null() ? std::string() : e.dump(-1, ' ', false, Json::error_handler_t::replace);
        }
      } else if (key == "fault") {
        const std::string_view s = get_string("fault");
        nemesis.fault.assign(s.data(), s.size());
        has_fault = true;
      } else if (key == "nodes") {
        const std::size_t col = column_of(v);
        Json nodes;
        if (auto err = to_json(v, nodes)) syntax_fault(err, col);
        if (!nodes.is_array()) throw semantic(col, "\"nodes\" must be an array of strings");
        for (const Json& n : nodes) {
          if (!n.is_string()) throw semantic(col, "\"nodes\" must be an array of strings");
          nemesis.nodes.push_back(n.get<std::string>());
        }
      } else if (key == "meta") {
        const std::size_t col = column_of(v);
        Json m;
        if (auto err = to_json(v, m)) syntax_fault(err, col);
        if (!m.is_object()) throw semantic(col, "\"meta\" must be an object");
        meta.update(m);
        has_meta = true;
      } else {
        // Unknown fields are allowed (the format may grow) but must still be
        // well-formed JSON; converting them is the validation.
        const std::size_t col = column_of(v);
        Json ignored;
        if (auto err = to_json(v, ignored)) syntax_fault(err, col);
      }
    }
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == simdjson::SUCCESS) {
      throw LineFault{static_cast<std::size_t>(rest - line.data()) + 1, "unexpected text after the JSON object", true,
                      true};
    }

    if (has_meta) return Kind::kMeta;
    if (!has_process) throw semantic(1, "missing field \"process\"");
    if (!has_type) throw semantic(1, "missing field \"type\"");
    if (!has_f) throw semantic(1, "missing field \"f\"");
    if (!has_index) index = last_index + 1;
    if (index <= last_index) {
      throw semantic(index_column, "\"index\" " + std::to_string(index) +
                                       " is not greater than the previous event's index " +
                                       std::to_string(last_index));
    }
    if (!has_time) time = index;

    if (is_nemesis) {
      if (type_text != "info") {
        throw semantic(type_column, "a nemesis event must have \"type\" \"info\", not \"" + std::string(type_text) + "\"");
      }
      const auto phase = parse_fault_phase(op.f);
      if (!phase) throw semantic(f_column, "a nemesis event's \"f\" must be \"start\" or \"stop\", not \"" + op.f + "\"");
      if (!has_fault) throw semantic(1, "missing field \"fault\" on a nemesis event");
      nemesis.index = index;
      nemesis.time = time;
      nemesis.phase = *phase;
      nemesis.params = std::move(op.value);
      last_index = index;
      return Kind::kNemesis;
    }
    const auto type = parse_op_type(type_text);
    if (!type) {
      throw semantic(type_column, "unknown \"type\" \"" + std::string(type_text) +
                                      "\": expected invoke, ok, fail or info");
    }
    op.index = index;
    op.time = time;
    op.process = process;
    op.type = *type;
    last_index = index;
    return Kind::kOp;
  }

  // Turns a LineFault on `line` into a HistoryError, or returns false when
  // the line is a torn final write to be dropped.
  bool report(const LineFault& fault, std::string_view line, bool terminated) {
    if (!Json::accept(line)) {
      if (!terminated) return false;
      if (fault.exact) throw HistoryError({name, line_no, fault.column}, "bad JSON: " + fault.message);
      try {
        const Json parsed = Json::parse(line);
      } catch (const Json::parse_error& e) {
        const std::size_t column = std::max<std::size_t>(1, std::min<std::size_t>(e.byte, line.size() + 1));
        throw HistoryError({name, line_no, column}, "bad JSON: " + describe_parse_error(e));
      } catch (const Json::exception&) {
        // e.g. a number too large for nlohmann; simdjson's account stands.
      }
      throw HistoryError({name, line_no, fault.column}, "bad JSON: " + fault.message);
    }
    throw HistoryError({name, line_no, fault.column},
                       fault.syntax ? "bad JSON: " + fault.message : fault.message);
  }

  // Reads lines until one holds an event, decoded into `op` or `nemesis`.
  // Returns nullopt at the end.
  std::optional<Kind> next_event(Op& op) {
    std::string_view line;
    bool terminated = false;
    while (next_line(line, terminated)) {
      ++line_no;
      if (line_no == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // BOM
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t\r\f\v") == std::string_view::npos) continue;
      Kind kind;
      try {
        kind = decode(line, op);
      } catch (const LineFault& fault) {
        if (report(fault, line, terminated)) continue;  // not reached: report() throws
        truncated = true;
        truncated_bytes = line.size();
        truncated_line = line_no;
        return std::nullopt;
      }
      if (kind == Kind::kMeta) continue;
      event_line = line_no;
      return kind;
    }
    return std::nullopt;
  }

  bool next(Event& out) {
    const auto kind = next_event(op);
    if (!kind) return false;
    if (*kind == Kind::kOp) {
      if (!std::holds_alternative<Op>(out)) out.emplace<Op>();
      std::swap(std::get<Op>(out), op);
    } else {
      if (!std::holds_alternative<NemesisEvent>(out)) out.emplace<NemesisEvent>();
      std::swap(std::get<NemesisEvent>(out), nemesis);
    }
    return true;
  }

  void read_rest(History& history, std::vector<std::size_t>* op_lines) {
    // Decode straight into the vector's next slot: a million ops are not
    // moved through a scratch event on their way in.
    while (true) {
      Op& slot = history.ops.emplace_back();
      std::optional<Kind> kind;
      try {
        kind = next_event(slot);
      } catch (...) {
        history.ops.pop_back();
        throw;
      }
      if (kind == Kind::kOp) {
        if (op_lines) op_lines->push_back(event_line);
        continue;
      }
      history.ops.pop_back();
      if (!kind) break;
      history.nemesis.push_back(std::move(nemesis));
      nemesis = NemesisEvent{};
    }
    history.meta = meta;
  }
};

HistoryReader::HistoryReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HistoryReader::HistoryReader(const std::string& path, ReaderOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->name = path;
  impl_->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (impl_->fd < 0) throw HistoryError({path, 0, 0}, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(impl_->fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw HistoryError({path, 0, 0}, "cannot read: is a directory");
    impl_->size_hint = static_cast<std::uint64_t>(st.st_size);
  }
  impl_->allocate(std::max<std::size_t>(options.chunk_bytes, 4096));
}

HistoryReader HistoryReader::from_text(std::string text, const std::string& name, ReaderOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  impl->from_memory = true;
  impl->owned_text = std::move(text);
  impl->memory = impl->owned_text;
  impl->size_hint = impl->memory.size();
  impl->allocate(std::max<std::size_t>(std::min(options.chunk_bytes, impl->memory.size() + 1), 64));
  return HistoryReader(std::move(impl));
}

HistoryReader::~HistoryReader() = default;
HistoryReader::HistoryReader(HistoryReader&&) noexcept = default;
HistoryReader& HistoryReader::operator=(HistoryReader&&) noexcept = default;

bool HistoryReader::next(Event& out) { return impl_->next(out); }
void HistoryReader::read_rest(History& history, std::vector<std::size_t>* op_lines) {
  impl_->read_rest(history, op_lines);
}
const Json& HistoryReader::meta() const { return impl_->meta; }
std::size_t HistoryReader::line() const { return impl_->event_line; }
bool HistoryReader::truncated() const { return impl_->truncated; }
std::uint64_t HistoryReader::size_bytes() const { return impl_->size_hint; }

ReadInfo HistoryReader::info() const {
  ReadInfo info;
  info.lines = impl_->line_no;
  info.truncated = impl_->truncated;
  info.truncated_bytes = impl_->truncated_bytes;
  info.truncated_line = impl_->truncated_line;
  return info;
}

namespace {

// A million ops fill ~200 MB that is touched once, in order. With 4 KiB pages
// that is ~50,000 page faults, which on a virtual machine cost as much as the
// parsing itself; transparent huge pages cut them 512-fold. Best effort: the
// kernel may ignore the advice.
void advise_huge_pages(void* data, std::size_t bytes) {
  constexpr std::uintptr_t kHuge = 2u << 20;
  if (bytes < 2 * kHuge) return;
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

History read_all(HistoryReader& reader, ReadInfo* info, std::vector<std::size_t>* op_lines) {
  History history;
  // Op lines are rarely shorter than 64 bytes; reserving avoids moving a
  // million ops through repeated growth (untouched capacity costs no RAM).
  history.ops.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(reader.size_bytes() / 64, 1u << 26)));
  advise_huge_pages(history.ops.data(), history.ops.capacity() * sizeof(Op));
  if (op_lines) op_lines->reserve(history.ops.capacity());
  reader.read_rest(history, op_lines);
  if (info) *info = reader.info();
  return history;
}

}  // namespace

History read_jsonl(const std::string& path, ReadInfo* info, std::vector<std::size_t>* op_lines) {
  HistoryReader reader(path);
  return read_all(reader, info, op_lines);
}

History read_jsonl_text(std::string_view text, const std::string& name, ReadInfo* info,
                        std::vector<std::size_t>* op_lines) {
  HistoryReader reader = HistoryReader::from_text(std::string(text), name);
  return read_all(reader, info, op_lines);
}

}  // namespace faultline::history
