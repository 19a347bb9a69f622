// Renders the report of a synthetic 100,000-operation history (or --ops N)
// (through a JSON Lines file, as `faultline report` reads it) and prints how
// long loading, the model and the page took and how big the page is.
// Target (issue 8): under 3 s and under 10 MB. Writes the page to --out when
// given, to open it in a browser.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "faultline/history/jsonl.h"
#include "faultline/history/load.h"
#include "faultline/reports/report_model.h"
#include "faultline/reports/run_report.h"
#include "large_history.h"

int main(int argc, char** argv) {
  using namespace faultline::reports;
  std::size_t ops = 100000;
  std::string out;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--ops") == 0) ops = std::stoul(argv[i + 1]);
    else if (std::strcmp(argv[i], "--out") == 0) out = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: report_bench [--ops N] [--out FILE]\n");
      return 2;
    }
  }
  ReportInput in;
  in.history = bench::large_history(ops);
  // One anomaly naming a few operations, as a checker would.
  Json witness = Json::array();
  for (std::size_t i = 0; i < 6 && i < in.history.ops.size(); ++i) witness.push_back(in.history.ops[ops / 2 + i].index);
  in.results = {{"verdict", "invalid"},
                {"results", {{{"checker", "register-stale-read"}, {"valid", false},
                              {"anomalies", {{{"kind", "stale-read"}, {"description", "a synthetic stale read"},
                                              {"witness", witness}}}}}}}};
  in.config = {{"workload", "register"}, {"store_preset", "safe"}, {"nemesis", {"partition", "packet"}},
               {"seed", 7}, {"nodes", 5}, {"concurrency", 20}, {"commit", "bench"}};
  // Through a JSON Lines file, as `faultline report` reads a run.
  const std::string file = "/tmp/faultline-report-bench-" + std::to_string(::getpid()) + ".jsonl";
  faultline::history::write_jsonl(file, in.history);
  const auto tl = std::chrono::steady_clock::now();
  in.history = faultline::history::load_history(file, faultline::history::Format::kJsonl);
  std::remove(file.c_str());
  const auto t0 = std::chrono::steady_clock::now();
  const ReportModel m = build_model(in);
  const auto t1 = std::chrono::steady_clock::now();
  const std::string page = render_report_html(in, m);
  const auto t2 = std::chrono::steady_clock::now();
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  std::printf("ops %zu  load %.0f ms  model %.0f ms  render %.0f ms  total %.0f ms  page %.2f MB\n", ops, ms(tl, t0),
              ms(t0, t1), ms(t1, t2), ms(tl, t2), static_cast<double>(page.size()) / 1e6);
  if (!out.empty()) std::ofstream(out, std::ios::binary) << page;
  return 0;
}
