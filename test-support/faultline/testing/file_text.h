// Test support: a whole file as a string ("" when it cannot be opened), for
// checking logs, reports and results a real process wrote.
#ifndef FAULTLINE_TESTING_FILE_TEXT_H_
#define FAULTLINE_TESTING_FILE_TEXT_H_

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace faultline::testing {

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace faultline::testing

#endif  // FAULTLINE_TESTING_FILE_TEXT_H_
