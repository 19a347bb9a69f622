// Test support: where the build tree and the source tree are, found at run
// time. The test binary lives under its build directory, which holds
// CMakeCache.txt, which names the source directory.
//
// Why not compile the paths in (-DFAULTLINE_SOURCE_DIR="/abs/path")? Every
// file that used them would then differ between checkouts, so ccache could
// not share them: a fresh clone, or a bisect worktree, would recompile every
// test that includes run_binary.h from scratch.
#ifndef FAULTLINE_TESTING_PATHS_H_
#define FAULTLINE_TESTING_PATHS_H_

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace faultline::testing {

// The CMake build directory of the running binary (build/release).
inline const std::filesystem::path& binary_dir() {
  static const std::filesystem::path dir = [] {
    namespace fs = std::filesystem;
    const fs::path exe = fs::read_symlink("/proc/self/exe");
    for (fs::path p = exe.parent_path(); !p.empty(); p = p.parent_path()) {
      if (fs::exists(p / "CMakeCache.txt")) return p;
      if (p == p.root_path()) break;
    }
    throw std::runtime_error("no CMakeCache.txt in any directory above " + exe.string());
  }();
  return dir;
}

// The source tree the build was configured from.
inline const std::filesystem::path& source_dir() {
  static const std::filesystem::path dir = [] {
    const std::string key = "CMAKE_HOME_DIRECTORY:INTERNAL=";
    std::ifstream cache(binary_dir() / "CMakeCache.txt");
    for (std::string line; std::getline(cache, line);)
      if (line.rfind(key, 0) == 0) return std::filesystem::path(line.substr(key.size()));
    throw std::runtime_error("no " + key + " line in " + (binary_dir() / "CMakeCache.txt").string());
  }();
  return dir;
}

// The vendored conformance histories (checker/tests/data: Porcupine's).
inline std::filesystem::path conformance_dir() { return source_dir() / "checker" / "tests" / "data"; }

}  // namespace faultline::testing

#endif  // FAULTLINE_TESTING_PATHS_H_
