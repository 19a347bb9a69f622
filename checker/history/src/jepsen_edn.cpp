// Jepsen EDN histories: op maps, in a vector or list or one after another.
#include <string>

#include "faultline/history/jepsen.h"
#include "file_text.h"
#include "jepsen_events.h"

namespace faultline::history {

namespace {

using detail::brief;
using detail::JepsenRecord;
using detail::name_of;
using edn::Value;

// Line numbers of increasing offsets in one pass over the text (Reader's
// position() rescans from the start, which is fine for one error but not for
// every op of a large history).
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}
  std::size_t line_at(std::size_t offset) {
    for (; pos_ < offset && pos_ < text_.size(); ++pos_) {
      if (text_[pos_] == '\n') ++line_;
    }
    return line_;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

void record_from_map(const Value& map, const edn::Reader& reader, JepsenRecord& r) {
  auto fail = [&](const Value& at, const std::string& message) { reader.fail(at.offset, message); };
  auto required = [&](const char* field) -> const Value& {
    const Value* v = map.get(field);
    if (v == nullptr) fail(map, std::string("op map has no :") + field);
    return *v;
  };

  const Value& process = required("process");
  if (process.kind == Value::Kind::kInt) {
    if (process.integer < 0) fail(process, ":process must be >= 0, found " + brief(process));
    r.process = process.integer;
  } else if ((process.kind == Value::Kind::kKeyword || process.kind == Value::Kind::kString) &&
             process.text == "nemesis") {
    r.nemesis = true;
  } else {
    fail(process, ":process must be an integer or :nemesis, found " + brief(process));
  }

  r.type = detail::op_type_of(required("type"), reader);

  const Value& f = required("f");
  if (f.kind != Value::Kind::kKeyword && f.kind != Value::Kind::kString && f.kind != Value::Kind::kSymbol) {
    fail(f, ":f must be a keyword, found " + brief(f));
  }
  r.f = f.text;

  r.value = map.get("value");
  if (const Value* index = map.get("index")) {
    if (index->kind != Value::Kind::kInt || index->integer < 0) {
      fail(*index, ":index must be an integer >= 0, found " + brief(*index));
    }
    r.index = index->integer;
    r.index_pos = [&reader, offset = index->offset] { return reader.position(offset); };
  } else {
    r.index_pos = [&reader, offset = map.offset] { return reader.position(offset); };
  }
  if (const Value* time = map.get("time")) {
    if (time->kind != Value::Kind::kInt) fail(*time, ":time must be an integer (nanoseconds), found " + brief(*time));
    r.time = time->integer;
  }
  if (const Value* key = map.get("key"); key != nullptr && !key->is_nil()) {
    auto text = name_of(*key);
    if (!text) fail(*key, ":key must be a string, integer or keyword, found " + brief(*key));
    r.key = std::move(*text);
  }
  if (const Value* node = map.get("node"); node != nullptr && !node->is_nil()) {
    r.node = name_of(*node).value_or(edn::to_edn(*node));
  }
  if (const Value* error = map.get("error"); error != nullptr && !error->is_nil()) {
    r.error = name_of(*error).value_or(edn::to_edn(*error));
  }
}

class EdnImporter {
 public:
  EdnImporter(std::string_view text, const std::string& name, std::vector<std::size_t>* op_lines)
      : reader_(text, name), lines_(text), builder_(op_lines) {}

  History run() {
    while (!reader_.at_end()) {
      const int c = reader_.peek();
      if (c == '[' || c == '(') {
        read_sequence(c == '[' ? ']' : ')');
      } else {
        handle(reader_.read(), true);
      }
    }
    return builder_.finish();
  }

 private:
  // Streams the elements of a top-level vector or list without first
  // building the whole vector.
  void read_sequence(char close) {
    const std::size_t open = reader_.offset();
    reader_.advance();
    while (true) {
      const int c = reader_.peek();
      if (c < 0) reader_.fail(open, std::string("unterminated history: no closing '") + close + "'");
      if (c == close) {
        reader_.advance();
        return;
      }
      handle(reader_.read(), false);
    }
  }

  void handle(const Value& form, bool top_level) {
    const Value* v = &form;
    // #jepsen.history.Op{...} and similar records: the map is the op.
    while (v->kind == Value::Kind::kTagged && !v->items.empty()) v = &v->items[0];
    if (top_level && v->is_sequential()) {
      for (const Value& item : v->items) handle(item, false);
      return;
    }
    if (!v->is_map()) reader_.fail(v->offset, "expected an op map, found " + std::string(v->kind_name()) + " " + brief(*v));
    JepsenRecord record;
    record.line = lines_.line_at(v->offset);
    record_from_map(*v, reader_, record);
    builder_.add(record);
  }

  edn::Reader reader_;
  LineCounter lines_;
  detail::JepsenHistoryBuilder builder_;
};

}  // namespace

History parse_jepsen_edn(std::string_view text, const std::string& name, std::vector<std::size_t>* op_lines) {
  return EdnImporter(text, name, op_lines).run();
}

History import_jepsen_edn(const std::string& path, std::vector<std::size_t>* op_lines) {
  const std::string text = detail::read_file(path);
  return parse_jepsen_edn(text, path, op_lines);
}

}  // namespace faultline::history
