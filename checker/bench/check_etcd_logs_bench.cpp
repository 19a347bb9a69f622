// What `faultline check --model cas-register jepsen/*.log` does for the 102
// Porcupine etcd logs, in process: load, pair, check with witnesses (frontier
// and 1-minimal shrinking), judge, render each file's JSON document. Prints
// the median of several passes beside Porcupine's own test time for the same
// logs on this machine class (0.41 s, issue 15; Porcupine is not run here)
// and the target (5x faster: 0.082 s). Optional argument: the
// `faultline` binary, to time the command line as a user runs it too (it
// checks files in parallel, one per core, so it is timed with --jobs 1 too).
// The slowest files are listed: two invalid logs whose witness shrinking
// (a handful of exhaustive searches each) is most of the single-thread time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "faultline/checker/judge.h"
#include "faultline/history/load.h"
#include "faultline/checker/registry.h"
#include "faultline/testing/paths.h"

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
  for (const auto& e : fs::directory_iterator(faultline::testing::conformance_dir() / "porcupine" / "jepsen"))
    if (e.path().extension() == ".log") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  if (files.size() < 100) {
    std::fprintf(stderr, "expected the 102 etcd logs under %s\n", faultline::testing::conformance_dir().c_str());
    return 1;
  }
  constexpr int kPasses = 7;
  std::vector<double> times;
  std::vector<std::vector<double>> per_file(files.size());
  std::size_t invalid = 0, bytes = 0;
  for (int pass = 0; pass < kPasses; ++pass) {
    invalid = bytes = 0;
    const auto t = Clock::now();
    for (std::size_t i = 0; i < files.size(); ++i) {
      const auto tf = Clock::now();
      const history::History h = history::load_history(files[i]);
      const check::Judgement j = check::judge(check::check_history(h, "cas-register", {}));
      invalid += j.valid == check::Validity::kInvalid;
      bytes += j.results.dump().size();
      per_file[i].push_back(seconds_since(tf));
    }
    times.push_back(seconds_since(t));
  }
  const double in_process = median(times);
  std::printf("faultline check, %zu etcd logs as cas-register with witnesses (%zu invalid), median of %d\n",
              files.size(), invalid, kPasses);
  std::printf("  %-34s %8.3f s   (%.1fx Porcupine's %.2f s; target <= %.3f s)\n", "in process", in_process,
              kPorcupineSeconds / in_process, kPorcupineSeconds, kPorcupineSeconds / 5);
  // Where the time goes: the slowest files (medians), for whoever tunes this next.
  std::vector<std::pair<double, std::string>> slowest;
  for (std::size_t i = 0; i < files.size(); ++i)
    slowest.emplace_back(median(per_file[i]), fs::path(files[i]).filename().string());
  std::sort(slowest.rbegin(), slowest.rend());
  std::printf("  slowest:");
  for (std::size_t i = 0; i < 5 && i < slowest.size(); ++i)
    std::printf(" %s %.3f s%s", slowest[i].second.c_str(), slowest[i].first, i + 1 < 5 ? "," : "\n");
  if (argc > 1) {
    for (const char* jobs : {"0", "1"}) {
      std::string cmd = std::string(argv[1]) + " check --model cas-register --jobs " + jobs;
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
      const std::string label = std::string("command line, --jobs ") + (jobs[0] == '0' ? "0 (per core)" : jobs);
      std::printf("  %-34s %8.3f s   (%.1fx Porcupine's %.2f s)\n", label.c_str(), c, kPorcupineSeconds / c,
                  kPorcupineSeconds);
    }
  }
  return 0;
}
