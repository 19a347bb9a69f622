// A synthetic register history of `ops` operations over 20 processes and 200
// keys with fail and info outcomes, partition and packet windows: the input
// of the report benchmark and of the page-size test.
#ifndef FAULTLINE_REPORTS_BENCH_LARGE_HISTORY_H_
#define FAULTLINE_REPORTS_BENCH_LARGE_HISTORY_H_

#include <random>
#include <string>

#include "faultline/history/event.h"

namespace faultline::reports::bench {

inline history::History large_history(std::size_t ops, std::uint64_t seed = 7) {
  using history::OpType;
  std::mt19937_64 rng(seed);
  history::History h;
  h.meta = {{"model", "register"}, {"workload", "register"}, {"store_preset", "safe"}, {"seed", seed},
            {"nodes", {"n1", "n2", "n3", "n4", "n5"}}};
  const int procs = 20;
  std::vector<std::int64_t> process(procs), clock(procs, 0);
  for (int p = 0; p < procs; ++p) process[p] = p;
  std::int64_t next_process = procs, index = 0;
  struct Ev { std::int64_t time; history::Op op; };
  std::vector<history::Op> events;
  events.reserve(ops * 2);
  std::uniform_int_distribution<int> lat(200'000, 8'000'000), gap(0, 4'000'000), keyd(0, 199), pick(0, 99);
  for (std::size_t i = 0; i < ops; ++i) {
    const int w = static_cast<int>(i % procs);
    history::Op inv;
    inv.time = clock[w] + gap(rng);
    inv.process = process[w];
    inv.f = pick(rng) < 50 ? "read" : "write";
    inv.key = "r" + std::to_string(keyd(rng));
    inv.value = inv.f == "write" ? history::Json(static_cast<std::int64_t>(i)) : history::Json();
    inv.node = "n" + std::to_string(w % 5 + 1);
    history::Op comp = inv;
    comp.time = inv.time + lat(rng);
    const int roll = pick(rng);
    comp.type = roll < 94 ? OpType::kOk : roll < 98 ? OpType::kFail : OpType::kInfo;
    if (comp.f == "read" && comp.type == OpType::kOk) comp.value = static_cast<std::int64_t>(i / 2);
    if (comp.type != OpType::kOk) comp.error = "timeout";
    clock[w] = comp.time;
    if (comp.type == OpType::kInfo) process[w] = next_process++;  // info retires the process
    events.push_back(inv);
    events.push_back(comp);
  }
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  std::int64_t end = events.empty() ? 0 : events.back().time;
  std::vector<history::NemesisEvent> nem;
  for (std::int64_t t = end / 10, k = 0; t + end / 20 < end; t += end / 5, ++k) {
    const bool part = k % 2 == 0;
    history::NemesisEvent s{.index = 0, .time = t, .phase = history::FaultPhase::kStart,
                            .fault = part ? "partition" : "packet", .nodes = {"n1", "n2", "n3", "n4", "n5"},
                            .params = part ? history::Json{{"grudge", {{"n1", {"n4", "n5"}}, {"n2", {"n4", "n5"}},
                                                                         {"n3", {"n4", "n5"}}, {"n4", {"n1", "n2", "n3"}},
                                                                         {"n5", {"n1", "n2", "n3"}}}}}
                                           : history::Json{{"mechanism", "nfqueue"}, {"delay_ms", 50}}};
    history::NemesisEvent e = s;
    e.phase = history::FaultPhase::kStop;
    e.time = t + end / 20;
    e.params = history::Json::object();
    nem.push_back(s);
    nem.push_back(e);
  }
  // Merge by time and number everything.
  std::size_t a = 0, b = 0;
  while (a < events.size() || b < nem.size()) {
    if (b < nem.size() && (a == events.size() || nem[b].time <= events[a].time)) {
      nem[b].index = index++;
      h.nemesis.push_back(nem[b++]);
    } else {
      events[a].index = index++;
      h.ops.push_back(events[a++]);
    }
  }
  return h;
}

}  // namespace faultline::reports::bench

#endif  // FAULTLINE_REPORTS_BENCH_LARGE_HISTORY_H_
