// resolve_consistency (declared in config.h) on its own: the coordinator
// applies it to every client request, and node/fuzz/ compiles it without
// config.cpp's CLI11 (which alone took a minute under the sanitizers).
#include <cctype>
#include <cstdint>

#include "faultline/node/config.h"

namespace faultline::node {

using Json = nlohmann::json;

std::optional<int> resolve_consistency(const Json& level, int n) {
  // Range-checked before narrowing: get<int>() of 4294967297 is 1, which
  // would silently turn an absurd level into ONE.
  if (level.is_number_unsigned()) {
    const auto v = level.get<std::uint64_t>();
    return v >= 1 && v <= 1'000'000 ? std::optional<int>(static_cast<int>(v)) : std::nullopt;
  }
  if (level.is_number_integer()) {
    const auto v = level.get<std::int64_t>();
    return v >= 1 && v <= 1'000'000 ? std::optional<int>(static_cast<int>(v)) : std::nullopt;
  }
  if (!level.is_string()) return std::nullopt;
  std::string s = level.get<std::string>();
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (s == "ONE") return 1;
  if (s == "QUORUM") return n / 2 + 1;
  if (s == "ALL") return n;
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 6) {
    int v = std::stoi(s);
    return v >= 1 ? std::optional<int>(v) : std::nullopt;
  }
  return std::nullopt;
}

}  // namespace faultline::node
