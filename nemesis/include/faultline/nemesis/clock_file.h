// Clock skew through libfaketime: each node process runs with libfaketime
// preloaded and reads its wall-clock offset from its own file
// (FAKETIME_TIMESTAMP_FILE) on every call (FAKETIME_NO_CACHE), so the
// nemesis changes a running node's clock by rewriting that file. Monotonic
// clocks are left alone (FAKETIME_DONT_FAKE_MONOTONIC): timeouts and timers
// keep working, only the wall clock — what LWW timestamps come from — moves.
//
// Invariant: the file always holds a whole offset (written to a temporary
// file and renamed over it), so a node never reads half an offset.
#ifndef FAULTLINE_NEMESIS_CLOCK_FILE_H_
#define FAULTLINE_NEMESIS_CLOCK_FILE_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultline/process/status.h"

namespace faultline::nemesis {

// The multi-threaded libfaketime (libfaketimeMT.so.1) beside the library
// find_libfaketime() finds (capabilities.h; $FAULTLINE_LIBFAKETIME wins), or
// that library itself, or nullopt when libfaketime is not installed.
std::optional<std::filesystem::path> faketime_library();

// <dir>/<node>.faketime
std::filesystem::path clock_file(const std::filesystem::path& dir, const std::string& node);

// "+1.500000" / "-0.250000": libfaketime's relative offset in seconds.
std::string faketime_offset_text(std::int64_t offset_ms);

// Writes the offset atomically (temporary file + rename).
process::Status write_clock_offset(const std::filesystem::path& file, std::int64_t offset_ms);

// The environment a node needs to run under libfaketime with `file`.
std::vector<std::pair<std::string, std::string>> faketime_env(const std::filesystem::path& library,
                                                              const std::filesystem::path& file);

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_CLOCK_FILE_H_
