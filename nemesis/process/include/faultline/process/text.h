// Small text helpers every layer above needs when it talks to programs and
// files: joining words into a message and reading a whole file. Kept here so
// nemesis, harness and reports share one spelling of each.
#ifndef FAULTLINE_PROCESS_TEXT_H_
#define FAULTLINE_PROCESS_TEXT_H_

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace faultline::process {

// "a, b, c" from {"a", "b", "c"} with sep ", "; empty for no parts.
std::string join(const std::vector<std::string>& parts, const std::string& sep = ", ");

// The whole file, bytes as they are; nullopt when it cannot be opened (the
// caller names the file in its own error, or treats absence as empty).
std::optional<std::string> read_file(const std::filesystem::path& path);

}  // namespace faultline::process

#endif  // FAULTLINE_PROCESS_TEXT_H_
