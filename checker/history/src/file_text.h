// Reading a whole input file (internal). The EDN and log importers parse
// from memory; only the JSON Lines reader streams.
#ifndef FAULTLINE_HISTORY_SRC_FILE_TEXT_H_
#define FAULTLINE_HISTORY_SRC_FILE_TEXT_H_

#include <cstddef>
#include <string>

namespace faultline::history::detail {

// The file's bytes, or at most `limit` of them. Throws HistoryError naming
// the file when it cannot be opened or read.
std::string read_file(const std::string& path, std::size_t limit = static_cast<std::size_t>(-1));

}  // namespace faultline::history::detail

#endif  // FAULTLINE_HISTORY_SRC_FILE_TEXT_H_
