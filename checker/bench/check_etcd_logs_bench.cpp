// What `faultline check --model cas-register jepsen/*.log` does for the 102
// Porcupine etcd logs, in process: load, pair, check with witnesses (frontier
// and 1-minimal shrinking), judge, render each file's JSON document. Prints
// the median of several passes beside Porcupine's own test time for the same
// logs on this machine class (0.41 s, issue 15; Porcupine is not run here)
// and the target (5x faster: 0.082 s). Optional argument: the
// `faultline` binary, to time the command line as a user runs it too.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "faultline/checker/judge.h"
#include "faultline/checker/load.h"
#include "faultline/checker/registry.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using namespace faultline;

constexpr double kPorcupineSeconds = 0.41;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(fs::path(FAULTLINE_CONFORMANCE_DIR) / "porcupine" / "jepsen"))
    if (e.path().extension() == ".log") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  if (files.size() < 100) {
    std::fprintf(stderr, "expected the 102 etcd logs under %s\n", FAULTLINE_CONFORMANCE_DIR);
    return 1;
  }
  constexpr int kPasses = 7;
  std::vector<double> times;
  std::size_t invalid = 0, bytes = 0;
  for (int pass = 0; pass < kPasses; ++pass) {
    invalid = bytes = 0;
    const auto t = Clock::now();
    for (const auto& f : files) {
      const history::History h = history::load_history(f);
      const check::Judgement j = check::judge(check::check_history(h, "cas-register", {}));
      invalid += j.valid == check::Validity::kInvalid;
      bytes += j.results.dump().size();
    }
    times.push_back(seconds_since(t));
  }
  const double in_process = median(times);
  std::printf("faultline check, %zu etcd logs as cas-register with witnesses (%zu invalid), median of %d\n",
              files.size(), invalid, kPasses);
  std::printf("  %-28s %8.3f s   (%.1fx Porcupine's %.2f s; target <= %.3f s)\n", "in process", in_process,
              kPorcupineSeconds / in_process, kPorcupineSeconds, kPorcupineSeconds / 5);
  if (argc > 1) {
    std::string cmd = std::string(argv[1]) + " check --model cas-register";
    for (const auto& f : files) cmd += " " + f;
    cmd += " >/dev/null 2>&1";
    std::vector<double> cli;
    for (int pass = 0; pass < kPasses; ++pass) {
      const auto t = Clock::now();
      const int rc = std::system(cmd.c_str());
      cli.push_back(seconds_since(t));
      if (rc == -1) return 1;
    }
    const double c = median(cli);
    std::printf("  %-28s %8.3f s   (%.1fx Porcupine's %.2f s)\n", "command line (one process)", c,
                kPorcupineSeconds / c, kPorcupineSeconds);
  }
  return 0;
}
