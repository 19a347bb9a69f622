#include "faultline/history/edn.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "utf8.h"

namespace faultline::edn {

namespace {

using history::HistoryError;
using history::detail::append_utf8;
using history::detail::sanitized_utf8;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '\f' || c == '\v';
}

// Characters that end a token (symbol, keyword, number, tag, character name).
bool is_delimiter(char c) {
  if (is_space(c)) return true;
  switch (c) {
    case '(': case ')': case '[': case ']': case '{': case '}':
    case '"': case ';': case '\\': case '@': case '^': case '`': case '~':
      return true;
    default:
      return false;
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Characters allowed inside symbols and keywords (EDN's set, plus UTF-8
// letters, plus '|' and '\'' that Clojure tolerates inside names).
bool is_symbol_char(char c) {
  if (is_alpha(c) || is_digit(c) || static_cast<unsigned char>(c) >= 0x80) return true;
  return std::strchr(".*+!-_?$%&=<>/:#'|", c) != nullptr && c != '\0';
}

bool is_symbol_start(char c) {
  if (is_alpha(c) || static_cast<unsigned char>(c) >= 0x80) return true;
  return std::strchr(".*+!-_?$%&=<>/|", c) != nullptr && c != '\0';
}

std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7F) return std::string("'") + c + "'";
  static const char* hex = "0123456789abcdef";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view collection_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kList: return "list";
    case Value::Kind::kVector: return "vector";
    case Value::Kind::kSet: return "set";
    default: return "map";
  }
}

double parse_double(std::string_view digits) {
  double out = 0;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves the value unspecified on overflow/underflow; strtod
    // gives what Clojure would: +-Infinity or 0.
    out = std::strtod(std::string(digits).c_str(), nullptr);
  }
  (void)ptr;
  return out;
}

}  // namespace

const Value* Value::get(std::string_view keyword) const {
  if (kind != Kind::kMap) return nullptr;
  for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
    if (items[i].is_keyword(keyword)) return &items[i + 1];
  }
  return nullptr;
}

std::string_view Value::kind_name() const {
  switch (kind) {
    case Kind::kNil: return "nil";
    case Kind::kBool: return "boolean";
    case Kind::kInt: return "integer";
    case Kind::kBigInt: return "integer";
    case Kind::kFloat: return "number";
    case Kind::kString: return "string";
    case Kind::kChar: return "character";
    case Kind::kKeyword: return "keyword";
    case Kind::kSymbol: return "symbol";
    case Kind::kList: return "list";
    case Kind::kVector: return "vector";
    case Kind::kSet: return "set";
    case Kind::kMap: return "map";
    case Kind::kTagged: return "tagged literal";
  }
  return "value";
}

Reader::Reader(std::string_view text, std::string file, std::size_t first_line, std::size_t first_column)
    : text_(text), file_(std::move(file)), first_line_(first_line), first_column_(first_column) {}

SourcePos Reader::position(std::size_t offset) const {
  offset = std::min(offset, text_.size());
  std::size_t line = first_line_;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text_[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  const std::size_t column = offset - line_start + (line == first_line_ ? first_column_ : 1);
  return SourcePos{file_, line, column};
}

void Reader::fail(std::size_t offset, const std::string& message) const {
  throw HistoryError(position(offset), message);
}

int Reader::peek() {
  skip_space(0);
  return pos_ < text_.size() ? static_cast<unsigned char>(text_[pos_]) : -1;
}

Value Reader::read() {
  skip_space(0);
  if (pos_ >= text_.size()) fail(pos_, "unexpected end of input: expected an EDN value");
  return read_form(0);
}

void Reader::skip_space(int depth) {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (is_space(c)) {
      ++pos_;
    } else if (c == ';') {
      const std::size_t nl = text_.find('\n', pos_);
      pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
    } else if (c == '#' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '_') {
      // A discarded form must still be well formed; it is read and dropped.
      // It counts as one level deeper, so a chain "#_ #_ #_ ..." is bounded
      // like nesting is.
      const std::size_t start = pos_;
      if (depth >= kMaxDepth) fail(start, "nesting deeper than " + std::to_string(kMaxDepth) + " levels (of #_)");
      pos_ += 2;
      skip_space(depth + 1);
      if (pos_ >= text_.size() || text_[pos_] == ')' || text_[pos_] == ']' || text_[pos_] == '}') {
        fail(start, "#_ with no form after it to discard");
      }
      read_form(depth + 1);
    } else {
      break;
    }
  }
}

Value Reader::read_form(int depth) {
  if (depth > kMaxDepth) fail(pos_, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
  skip_space(depth);
  if (pos_ >= text_.size()) fail(pos_, "unexpected end of input: expected an EDN value");
  const std::size_t start = pos_;
  const char c = text_[pos_];
  switch (c) {
    case '(': return read_collection(Value::Kind::kList, ')', start, depth);
    case '[': return read_collection(Value::Kind::kVector, ']', start, depth);
    case '{': return read_collection(Value::Kind::kMap, '}', start, depth);
    case ')': case ']': case '}':
      fail(start, std::string("unmatched '") + c + "'");
    case '"': return read_string(start);
    case '\\': return read_char(start);
    case '#': return read_dispatch(start, depth);
    case ':': {
      ++pos_;
      if (pos_ < text_.size() && text_[pos_] == ':') ++pos_;  // ::auto-resolved
      const std::string_view name = read_token();
      if (name.empty()) fail(start, "keyword with no name after ':'");
      for (char ch : name) {
        if (!is_symbol_char(ch)) fail(start, "invalid " + describe_char(ch) + " in keyword");
      }
      Value v;
      v.kind = Value::Kind::kKeyword;
      v.text = sanitized_utf8(name);
      v.offset = start;
      return v;
    }
    default:
      break;
  }
  if (is_digit(c) || ((c == '+' || c == '-') && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1]))) {
    return read_number(start, read_token());
  }
  if (is_symbol_start(c)) return read_token_value(start);
  fail(start, "unexpected " + describe_char(c));
}

Value Reader::read_collection(Value::Kind kind, char close, std::size_t start, int depth) {
  ++pos_;  // the opening bracket (for sets, the '{' after '#')
  Value v;
  v.kind = kind;
  v.offset = start;
  while (true) {
    skip_space(depth + 1);
    if (pos_ >= text_.size()) {
      fail(start, "unterminated " + std::string(collection_name(kind)) + ": no closing '" + close + "'");
    }
    const char c = text_[pos_];
    if (c == close) {
      ++pos_;
      break;
    }
    if (c == ')' || c == ']' || c == '}') {
      const SourcePos opened = position(start);
      fail(pos_, std::string("expected '") + close + "' to close the " + std::string(collection_name(kind)) +
                     " opened at line " + std::to_string(opened.line) + ", column " +
                     std::to_string(opened.column) + ", found '" + c + "'");
    }
    v.items.push_back(read_form(depth + 1));
  }
  if (kind == Value::Kind::kMap && v.items.size() % 2 != 0) {
    fail(v.items.back().offset, "map has a key with no value");
  }
  return v;
}

Value Reader::read_dispatch(std::size_t start, int depth) {
  if (pos_ + 1 >= text_.size()) fail(start, "'#' at end of input");
  const char n = text_[pos_ + 1];
  if (n == '{') {
    ++pos_;
    Value v = read_collection(Value::Kind::kSet, '}', start, depth);
    return v;
  }
  if (n == '_') {
    skip_space(depth);  // read_form's skip_space normally consumed it already
    return read_form(depth);
  }
  if (n == '"') {
    // A Clojure regex: its backslashes belong to the pattern, so keep them.
    pos_ += 2;
    const std::size_t body = pos_;
    while (pos_ < text_.size() && text_[pos_] != '"') pos_ += text_[pos_] == '\\' ? 2 : 1;
    if (pos_ >= text_.size()) fail(start, "unterminated regex literal");
    Value v;
    v.kind = Value::Kind::kString;
    v.text = sanitized_utf8(text_.substr(body, pos_ - body));
    v.offset = start;
    ++pos_;
    return v;
  }
  if (n == '#') {
    pos_ += 2;
    const std::string_view name = read_token();
    Value v;
    v.kind = Value::Kind::kFloat;
    v.offset = start;
    v.text = "##" + std::string(name);
    if (name == "Inf") v.number = std::numeric_limits<double>::infinity();
    else if (name == "-Inf") v.number = -std::numeric_limits<double>::infinity();
    else if (name == "NaN") v.number = std::numeric_limits<double>::quiet_NaN();
    else fail(start, "unknown symbolic value ##" + sanitized_utf8(name) + " (expected ##Inf, ##-Inf or ##NaN)");
    return v;
  }
  if (n == ':') {
    // #:ns{:a 1} is {:ns/a 1}.
    pos_ += 2;
    const std::string ns = sanitized_utf8(read_token());
    if (ns.empty()) fail(start, "namespaced map with no namespace after '#:'");
    skip_space(depth);
    if (pos_ >= text_.size() || text_[pos_] != '{') fail(pos_, "expected '{' after #:" + ns);
    Value v = read_collection(Value::Kind::kMap, '}', pos_, depth);
    v.offset = start;
    for (std::size_t i = 0; i < v.items.size(); i += 2) {
      Value& key = v.items[i];
      if (key.kind != Value::Kind::kKeyword) continue;
      if (key.text.rfind("_/", 0) == 0) key.text.erase(0, 2);
      else if (key.text.find('/') == std::string::npos) key.text = ns + "/" + key.text;
    }
    return v;
  }
  if (is_alpha(n)) {  // EDN tags begin with a letter; "#?" and "#=" are Clojure-only
    ++pos_;
    const std::string_view tag = read_token();
    for (char ch : tag) {
      if (!is_symbol_char(ch)) fail(start, "invalid " + describe_char(ch) + " in tag");
    }
    skip_space(depth + 1);
    if (pos_ >= text_.size()) fail(start, "tag #" + sanitized_utf8(tag) + " with no value after it");
    Value v;
    v.kind = Value::Kind::kTagged;
    v.text = sanitized_utf8(tag);
    v.offset = start;
    v.items.push_back(read_form(depth + 1));
    return v;
  }
  fail(start, "unsupported dispatch '#" + std::string(1, n) + "'");
}

Value Reader::read_string(std::size_t start) {
  ++pos_;  // the opening quote
  std::string out;
  while (true) {
    const std::size_t stop = text_.find_first_of("\"\\", pos_);
    if (stop == std::string_view::npos) fail(start, "unterminated string");
    out.append(text_.data() + pos_, stop - pos_);
    pos_ = stop;
    if (text_[pos_] == '"') {
      ++pos_;
      break;
    }
    const std::size_t escape = pos_;
    if (pos_ + 1 >= text_.size()) fail(start, "unterminated string");
    const char e = text_[pos_ + 1];
    pos_ += 2;
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case '"': out += '"'; break;
      case '\'': out += '\''; break;
      case '\\': out += '\\'; break;
      case 'u': {
        auto read4 = [&](std::size_t at) -> long {
          if (at + 4 > text_.size()) return -1;
          long cp = 0;
          for (std::size_t i = 0; i < 4; ++i) {
            const int h = hex_value(text_[at + i]);
            if (h < 0) return -1;
            cp = cp * 16 + h;
          }
          return cp;
        };
        long cp = read4(pos_);
        if (cp < 0) fail(escape, "invalid \\u escape in string: expected 4 hex digits");
        pos_ += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && pos_ + 1 < text_.size() && text_[pos_] == '\\' &&
            text_[pos_ + 1] == 'u') {
          const long low = read4(pos_ + 2);
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            pos_ += 6;
          }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a lone surrogate
        append_utf8(out, static_cast<char32_t>(cp));
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          // Octal escape \0 .. \377, as the Clojure reader accepts.
          int value = e - '0';
          for (int i = 0; i < 2 && pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '7'; ++i) {
            value = value * 8 + (text_[pos_++] - '0');
          }
          if (value > 0377) fail(escape, "octal escape in string is larger than \\377");
          append_utf8(out, static_cast<char32_t>(value));
          break;
        }
        fail(escape, "unknown escape \\" + sanitized_utf8(std::string(1, e)) + " in string");
    }
  }
  Value v;
  v.kind = Value::Kind::kString;
  v.text = sanitized_utf8(out);
  v.offset = start;
  return v;
}

Value Reader::read_char(std::size_t start) {
  ++pos_;  // the backslash
  if (pos_ >= text_.size()) fail(start, "backslash at end of input: expected a character");
  // The first character is taken whatever it is (\( is the character '(');
  // a name (\newline, \u0041) continues up to the next delimiter.
  const auto* p = reinterpret_cast<const unsigned char*>(text_.data() + pos_);
  std::size_t first = history::detail::utf8_sequence_length(p, text_.size() - pos_);
  if (first == 0) first = 1;
  std::size_t end = pos_ + first;
  while (end < text_.size() && !is_delimiter(text_[end])) ++end;
  const std::string_view token = text_.substr(pos_, end - pos_);
  pos_ = end;
  Value v;
  v.kind = Value::Kind::kChar;
  v.offset = start;
  if (token.size() == first) {
    v.text = sanitized_utf8(token);
  } else if (token == "newline") {
    v.text = "\n";
  } else if (token == "space") {
    v.text = " ";
  } else if (token == "tab") {
    v.text = "\t";
  } else if (token == "return") {
    v.text = "\r";
  } else if (token == "backspace") {
    v.text = "\b";
  } else if (token == "formfeed") {
    v.text = "\f";
  } else if (token[0] == 'u' && token.size() == 5) {
    long cp = 0;
    for (std::size_t i = 1; i < 5; ++i) {
      const int h = hex_value(token[i]);
      if (h < 0) fail(start, "invalid character literal \\" + sanitized_utf8(token));
      cp = cp * 16 + h;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) fail(start, "character literal \\" + std::string(token) + " is a surrogate");
    append_utf8(v.text, static_cast<char32_t>(cp));
  } else if (token[0] == 'o' && token.size() >= 2 && token.size() <= 4) {
    int value = 0;
    for (std::size_t i = 1; i < token.size(); ++i) {
      if (token[i] < '0' || token[i] > '7') fail(start, "invalid character literal \\" + sanitized_utf8(token));
      value = value * 8 + (token[i] - '0');
    }
    if (value > 0377) fail(start, "octal character literal \\" + std::string(token) + " is larger than \\o377");
    append_utf8(v.text, static_cast<char32_t>(value));
  } else {
    fail(start, "unsupported character literal \\" + sanitized_utf8(token));
  }
  return v;
}

std::string_view Reader::read_token() {
  const std::size_t start = pos_;
  while (pos_ < text_.size() && !is_delimiter(text_[pos_])) ++pos_;
  return text_.substr(start, pos_ - start);
}

Value Reader::read_token_value(std::size_t start) {
  const std::string_view token = read_token();
  Value v;
  v.offset = start;
  if (token == "nil") return v;
  if (token == "true" || token == "false") {
    v.kind = Value::Kind::kBool;
    v.boolean = token == "true";
    return v;
  }
  for (char ch : token) {
    if (!is_symbol_char(ch)) fail(start, "invalid " + describe_char(ch) + " in symbol");
  }
  v.kind = Value::Kind::kSymbol;
  v.text = sanitized_utf8(token);
  return v;
}

Value Reader::read_number(std::size_t start, std::string_view token) {
  auto bad = [&]() { fail(start, "invalid number '" + sanitized_utf8(token) + "'"); };
  Value v;
  v.offset = start;
  std::size_t i = 0;
  if (token[i] == '+' || token[i] == '-') ++i;
  const std::size_t digits_start = i;
  while (i < token.size() && is_digit(token[i])) ++i;
  const std::string_view int_part = token.substr(digits_start, i - digits_start);
  if (int_part.empty()) bad();
  const std::string_view rest = token.substr(i);
  if (int_part == "0" && !rest.empty() && (rest[0] == 'x' || rest[0] == 'X')) {
    // Hex, as Clojure prints identity hashes: #object[Foo 0x1f2e3d "..."].
    std::string_view hex = rest.substr(1);
    if (!hex.empty() && hex.back() == 'N') hex.remove_suffix(1);
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
    if (hex.empty() || ptr != hex.data() + hex.size()) bad();
    const bool negative = token[0] == '-';
    if (ec == std::errc() && value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      v.kind = Value::Kind::kInt;
      v.integer = negative ? -static_cast<std::int64_t>(value) : static_cast<std::int64_t>(value);
    } else {
      v.kind = Value::Kind::kBigInt;  // kept as written: no decimal conversion for huge hex
      v.text = std::string(token);
    }
    return v;
  }
  if (rest.empty() || rest == "N") {
    if (int_part.size() > 1 && int_part[0] == '0') {
      fail(start, "invalid number '" + std::string(token) + "': integers have no leading zeros in EDN");
    }
    std::string_view digits = token.substr(0, i);
    if (digits[0] == '+') digits.remove_prefix(1);
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc() && ptr == digits.data() + digits.size()) {
      v.kind = Value::Kind::kInt;
      v.integer = value;
    } else {
      // Clojure promotes such literals to BigInt; keep every digit.
      v.kind = Value::Kind::kBigInt;
      v.text = std::string(digits);
    }
    return v;
  }
  if (rest[0] == '/') {
    const std::string_view den = rest.substr(1);
    if (den.empty()) bad();
    for (char ch : den) {
      if (!is_digit(ch)) bad();
    }
    const double d = parse_double(den);
    if (d == 0) fail(start, "ratio '" + std::string(token) + "' divides by zero");
    v.kind = Value::Kind::kFloat;
    v.number = parse_double(token.substr(0, i)) / d;
    v.text = std::string(token);
    return v;
  }
  // Float: int ['.' digits*] [('e'|'E') ['+'|'-'] digits+] ['M'].
  std::size_t j = 0;
  if (j < rest.size() && rest[j] == '.') {
    ++j;
    while (j < rest.size() && is_digit(rest[j])) ++j;
  }
  if (j < rest.size() && (rest[j] == 'e' || rest[j] == 'E')) {
    ++j;
    if (j < rest.size() && (rest[j] == '+' || rest[j] == '-')) ++j;
    const std::size_t exp_start = j;
    while (j < rest.size() && is_digit(rest[j])) ++j;
    if (j == exp_start) bad();
  }
  const std::size_t number_end = i + j;
  if (j < rest.size() && rest[j] == 'M') ++j;
  if (j != rest.size() || j == 0) bad();
  v.kind = Value::Kind::kFloat;
  v.number = parse_double(token.substr(0, number_end));
  v.text = std::string(token);
  return v;
}

Value parse(std::string_view text, const std::string& file) {
  Reader reader(text, file);
  Value v = reader.read();
  if (!reader.at_end()) reader.fail(reader.offset(), "unexpected text after the value");
  return v;
}

}  // namespace faultline::edn
