#include "faultline/nemesis/clock_file.h"

#include "faultline/nemesis/capabilities.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace faultline::nemesis {
using process::Status;
namespace fs = std::filesystem;

std::optional<fs::path> faketime_library() {
  // Nodes are multi-threaded: prefer the MT build beside the one the doctor
  // probe finds (Debian ships both in .../faketime/).
  std::optional<std::string> single = find_libfaketime();
  if (!single) return std::nullopt;
  std::error_code ec;
  fs::path mt = fs::path(*single).parent_path() / "libfaketimeMT.so.1";
  if (fs::exists(mt, ec)) return mt;
  return fs::path(*single);
}

fs::path clock_file(const fs::path& dir, const std::string& node) { return dir / (node + ".faketime"); }

std::string faketime_offset_text(std::int64_t offset_ms) {
  const std::uint64_t magnitude = offset_ms < 0 ? static_cast<std::uint64_t>(-(offset_ms + 1)) + 1 : offset_ms;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%c%" PRIu64 ".%03" PRIu64, offset_ms < 0 ? '-' : '+', magnitude / 1000,
                magnitude % 1000);
  return buf;
}

Status write_clock_offset(const fs::path& file, std::int64_t offset_ms) {
  const std::string text = faketime_offset_text(offset_ms) + "\n";
  const fs::path tmp = file.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::failure("cannot write " + tmp.string() + ": " + std::strerror(errno));
  const bool wrote = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!wrote) return Status::failure("cannot write " + tmp.string() + ": " + std::strerror(errno));
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    return Status::failure("cannot rename " + tmp.string() + " to " + file.string() + ": " + std::strerror(errno));
  }
  return Status::success();
}

std::vector<std::pair<std::string, std::string>> faketime_env(const fs::path& library, const fs::path& file) {
  return {{"LD_PRELOAD", library.string()},
          {"FAKETIME_TIMESTAMP_FILE", file.string()},
          {"FAKETIME_NO_CACHE", "1"},
          {"FAKETIME_DONT_FAKE_MONOTONIC", "1"}};
}

}  // namespace faultline::nemesis
