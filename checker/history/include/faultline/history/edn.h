// EDN (Extensible Data Notation), the text form of Clojure data that Jepsen
// writes its histories in.
//
// The parser is a recursive-descent reader over a whole text held in memory.
// It keeps what importers need to tell apart (a keyword `:nemesis` from a
// string "nemesis", a map from a vector) in `edn::Value`, and every value
// remembers where it began, so an importer can say "line 12, column 9:
// :process must be an integer" rather than just "bad input". `to_json` then
// lowers a value into the JSON model the rest of faultline uses.
//
// Accepted: nil, true/false, integers (with +/- and the N suffix), floats
// (with the M suffix, and ##Inf ##-Inf ##NaN), ratios, strings with escapes,
// characters, keywords, symbols, lists, vectors, sets, maps, namespaced maps
// (#:ns{...}), tagged literals (#inst "...", #jepsen.history.Op{...},
// #object[...]), #"regex" (as a string), the discard form #_, `;` comments and
// commas as whitespace. Nesting deeper than kMaxDepth is rejected rather than
// risking the stack on hostile input.
#ifndef FAULTLINE_HISTORY_EDN_H_
#define FAULTLINE_HISTORY_EDN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/history/event.h"

namespace faultline::edn {

using history::Json;
using history::SourcePos;

struct Value {
  enum class Kind : std::uint8_t {
    kNil, kBool, kInt, kBigInt, kFloat, kString, kChar, kKeyword, kSymbol,
    kList, kVector, kSet, kMap, kTagged,
  };

  Kind kind = Kind::kNil;
  bool boolean = false;
  std::int64_t integer = 0;  // kInt
  double number = 0;         // kFloat (also ratios and M decimals)
  // kString, kChar: the decoded text (UTF-8). kKeyword: the name without the
  // colon. kSymbol: the name. kBigInt: the decimal digits with sign (integers
  // that do not fit 64 bits). kFloat: the literal as written. kTagged: the tag.
  std::string text;
  // kList, kVector, kSet: the elements. kMap: key0, value0, key1, value1, ...
  // kTagged: exactly one element, the tagged value.
  std::vector<Value> items;
  std::size_t offset = 0;  // byte offset of the first character in the text

  bool is_nil() const { return kind == Kind::kNil; }
  bool is_keyword() const { return kind == Kind::kKeyword; }
  bool is_keyword(std::string_view name) const { return kind == Kind::kKeyword && text == name; }
  bool is_map() const { return kind == Kind::kMap; }
  bool is_sequential() const { return kind == Kind::kList || kind == Kind::kVector; }
  // For maps: the value stored under keyword `name`, or nullptr.
  const Value* get(std::string_view keyword) const;
  // "nil", "integer", "keyword", "map", ... for error messages.
  std::string_view kind_name() const;
};

class Reader {
 public:
  static constexpr int kMaxDepth = 512;

  // `text` must outlive the reader. `first_line` and `first_column` are
  // where text[0] sits in `file`, so a reader over one line of a log still
  // reports positions in the whole file.
  explicit Reader(std::string_view text, std::string file = "", std::size_t first_line = 1,
                  std::size_t first_column = 1);

  // Skips whitespace, commas, comments and discarded (#_) forms, then returns
  // the next character without consuming it, or -1 at the end of the text.
  int peek();
  // True when only whitespace, comments and discarded forms remain.
  bool at_end() { return peek() < 0; }
  // Consumes one character; use after peek() to step into a collection
  // without reading all of it (importers stream a history's top-level vector).
  void advance() { ++pos_; }
  // Reads the next form. Throws HistoryError at the first problem.
  Value read();

  std::size_t offset() const { return pos_; }
  std::string_view text() const { return text_; }
  // The file position of a byte offset into the text.
  SourcePos position(std::size_t offset) const;
  // Throws HistoryError(position(offset), message).
  [[noreturn]] void fail(std::size_t offset, const std::string& message) const;

 private:
  void skip_space(int depth);
  Value read_form(int depth);
  Value read_collection(Value::Kind kind, char close, std::size_t start, int depth);
  Value read_dispatch(std::size_t start, int depth);
  Value read_string(std::size_t start);
  Value read_char(std::size_t start);
  Value read_token_value(std::size_t start);
  Value read_number(std::size_t start, std::string_view token);
  std::string_view read_token();

  std::string_view text_;
  std::string file_;
  std::size_t first_line_;
  std::size_t first_column_;
  std::size_t pos_ = 0;
};

// Parses text holding exactly one form (surrounding whitespace and comments
// allowed). Throws HistoryError.
Value parse(std::string_view text, const std::string& file = "");

// Lowers EDN into JSON: nil -> null; keywords (without the colon), symbols,
// characters -> strings; lists, vectors, sets -> arrays; integers beyond 64
// bits -> their decimal string; ratios -> floats; tagged literals -> the
// tagged value; maps -> objects when every key is a keyword, string, symbol or
// number (stringified) and no two keys collide, otherwise an array of [key,
// value] pairs so nothing is lost.
Json to_json(const Value& value);

// Renders a value back as compact EDN, for error messages and for fields that
// faultline keeps as text.
std::string to_edn(const Value& value);

}  // namespace faultline::edn

#endif  // FAULTLINE_HISTORY_EDN_H_
