#include "swim/swim_stream.h"

#include <array>
#include <cstdint>

namespace faultline::node::swim {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> make_reverse() {
  std::array<int, 256> r{};
  for (auto& v : r) v = -1;
  for (int i = 0; i < 64; ++i) r[static_cast<unsigned char>(kAlphabet[i])] = i;
  return r;
}
constexpr auto kReverse = make_reverse();
}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                            std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) v |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int pad = 0;
    std::uint32_t v = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=') {
        // Padding only at the end, only in the last two places, contiguous.
        if (!last || j < 2 || (j == 2 && text[i + 3] != '=')) return std::nullopt;
        ++pad;
        v <<= 6;
        continue;
      }
      const int d = kReverse[static_cast<unsigned char>(c)];
      if (d < 0 || pad > 0) return std::nullopt;
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    out += static_cast<char>((v >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(v & 0xff);
  }
  return out;
}

bool is_push_pull_message(const nlohmann::json& message) {
  const auto it = message.find("op");
  return it != message.end() && it->is_string() && it->get_ref<const std::string&>() == kPushPullOp;
}

nlohmann::json make_push_pull_message(const std::string& from, std::string_view packet) {
  return {{"op", kPushPullOp}, {"from", from}, {"view", base64_encode(packet)}};
}

StreamView push_pull_view(const nlohmann::json& message, std::size_t max_bytes) {
  if (!message.is_object()) return {std::nullopt, "push-pull message is not a JSON object"};
  const auto it = message.find("view");
  if (it == message.end()) return {std::nullopt, "push-pull message has no \"view\""};
  if (!it->is_string()) return {std::nullopt, "push-pull \"view\" is not a string"};
  const auto& text = it->get_ref<const std::string&>();
  // Checked before decoding so an oversize view costs no allocation.
  if (text.size() / 4 * 3 > max_bytes + 2)
    return {std::nullopt, "push-pull \"view\" is " + std::to_string(text.size() / 4 * 3) + " bytes, over the " +
                              std::to_string(max_bytes) + "-byte limit"};
  auto bytes = base64_decode(text);
  if (!bytes) return {std::nullopt, "push-pull \"view\" is not valid base64"};
  if (bytes->size() > max_bytes)
    return {std::nullopt, "push-pull \"view\" is " + std::to_string(bytes->size()) + " bytes, over the " +
                              std::to_string(max_bytes) + "-byte limit"};
  return {std::move(bytes), {}};
}

}  // namespace faultline::node::swim
