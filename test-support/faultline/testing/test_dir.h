// A scratch directory under the system temp dir, removed when the test ends.
#ifndef FAULTLINE_TESTING_TEST_DIR_H_
#define FAULTLINE_TESTING_TEST_DIR_H_

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

namespace faultline::node::testing {

class TestDir {
 public:
  explicit TestDir(const std::string& tag) {
    static std::atomic<int> seq{0};
    path_ = std::filesystem::temp_directory_path() /
            ("faultline-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(seq++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TestDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace faultline::node::testing

#endif  // FAULTLINE_TESTING_TEST_DIR_H_
