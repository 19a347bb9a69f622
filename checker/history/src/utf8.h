// UTF-8 checks shared by the readers and the writer (internal).
//
// Every string that enters the event model must be valid UTF-8: simdjson
// rejects anything else when the history is read back, and nlohmann::json
// throws when asked to dump it. Imported text (EDN strings, log lines) is
// therefore sanitised on the way in, invalid bytes becoming U+FFFD, instead
// of failing far from the input that caused it.
#ifndef FAULTLINE_HISTORY_SRC_UTF8_H_
#define FAULTLINE_HISTORY_SRC_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace faultline::history::detail {

// Length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF) starting at p, or 0 if there is none.
inline std::size_t utf8_sequence_length(const unsigned char* p, std::size_t n) {
  if (n == 0) return 0;
  const unsigned char b = p[0];
  if (b < 0x80) return 1;
  auto cont = [&](std::size_t i, unsigned char lo, unsigned char hi) {
    return i < n && p[i] >= lo && p[i] <= hi;
  };
  if (b >= 0xC2 && b <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    const unsigned char lo = b == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    const unsigned char lo = b == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

inline bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    if (p[i] < 0x80) { ++i; continue; }
    const std::size_t len = utf8_sequence_length(p + i, s.size() - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

inline void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Appends s to out, each byte that starts no well-formed sequence becoming
// U+FFFD.
inline void append_sanitized_utf8(std::string& out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t len = utf8_sequence_length(p + i, s.size() - i);
    if (len == 0) {
      append_utf8(out, 0xFFFD);
      ++i;
    } else {
      out.append(s.data() + i, len);
      i += len;
    }
  }
}

inline std::string sanitized_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  std::string out;
  append_sanitized_utf8(out, s);
  return out;
}

}  // namespace faultline::history::detail

#endif  // FAULTLINE_HISTORY_SRC_UTF8_H_
