// Test support: run a program as a real child process (Boost.Process) and
// capture its exit code, stdout and stderr. Output goes through temp files so
// a chatty child can never deadlock on a full pipe.
#ifndef FAULTLINE_TESTING_RUN_BINARY_H_
#define FAULTLINE_TESTING_RUN_BINARY_H_

#include <unistd.h>

#include <boost/process.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "faultline/testing/file_text.h"
#include "faultline/testing/paths.h"

namespace faultline::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string faultline_binary() { return (binary_dir() / "harness" / "faultline").string(); }

// Runs `program args...`; kills it after `timeout` so a hung child fails the
// test instead of hanging it (exit_code is then -1).
inline RunResult run_binary(const std::string& program, const std::vector<std::string>& args,
                            std::chrono::seconds timeout = std::chrono::seconds(60)) {
  namespace bp = boost::process;
  char out_path[] = "/tmp/faultline-test-out-XXXXXX";
  char err_path[] = "/tmp/faultline-test-err-XXXXXX";
  ::close(::mkstemp(out_path));
  ::close(::mkstemp(err_path));
  RunResult result;
  bp::child child(program, bp::args(args), bp::std_out > out_path, bp::std_err > err_path, bp::std_in < bp::null);
  // Polled rather than child.wait_for(): Boost 1.74's wait_for can sleep the
  // whole timeout for a child that has already exited (boostorg/process#69),
  // which made quick refusals look like 60 s hangs under load.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (child.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (child.running()) {
    child.terminate();
  } else {
    child.wait();
    result.exit_code = child.exit_code();
  }
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  ::unlink(out_path);
  ::unlink(err_path);
  return result;
}

inline RunResult run_faultline(const std::vector<std::string>& args) { return run_binary(faultline_binary(), args); }

}  // namespace faultline::testing

#endif  // FAULTLINE_TESTING_RUN_BINARY_H_
