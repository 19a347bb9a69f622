// Reading JSON Lines histories.
//
// Speed comes from three choices: the file is read in large chunks and split
// on '\n' with memchr (no per-line allocation, no std::getline); each line is
// parsed in place by simdjson's On Demand parser, whose padding requirement is
// met by keeping spare bytes after the chunk buffer; and only `value`
// (and a nemesis event's parameters) become nlohmann::json, the fields with a
// fixed type going straight into the event (jsonl_line.h). Errors are rare, so the error path
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
#include <cstring>
#include <optional>

#include "faultline/history/jsonl.h"
#include "jsonl_line.h"

namespace faultline::history {

namespace {

namespace ondemand = simdjson::ondemand;
using jsonl_line::LineFault;
using Kind = jsonl_line::LineKind;
using jsonl_line::decode_line;

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

  // Decodes one line into `op`, `nemesis` or `meta`. Throws LineFault.
  Kind decode(std::string_view line, Op& op) {
    const std::size_t capacity = cap + simdjson::SIMDJSON_PADDING - (line.data() - buf.get());
    return decode_line(parser, line, capacity, {op, nemesis, meta, last_index});
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
