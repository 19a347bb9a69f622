// Helpers for the history format tests: scratch files and conformance paths.
#ifndef FAULTLINE_CHECKER_TESTS_HISTORY_TEST_FILES_H_
#define FAULTLINE_CHECKER_TESTS_HISTORY_TEST_FILES_H_

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>
#include "faultline/testing/paths.h"

namespace faultline::history::testing {

// A directory under the system temp dir, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "faultline-history-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string p = file(name);
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  std::filesystem::path path_;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string conformance_dir() { return (faultline::testing::conformance_dir() / "porcupine").string(); }

// Every file with extension `ext` in conformance_dir()/`sub`, sorted.
inline std::vector<std::string> conformance_files(const std::string& sub, const std::string& ext) {
  std::vector<std::string> out;
  const std::filesystem::path dir = conformance_dir() + "/" + sub;
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ext) out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace faultline::history::testing

#endif  // FAULTLINE_CHECKER_TESTS_HISTORY_TEST_FILES_H_
