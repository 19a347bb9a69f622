// Writes and loads a one-million-event history and prints how long each took.
//
//   history_io_bench [--events N] [--runs R] [--dir DIR]
//   history_io_bench --load FILE [--runs R]     (time loading an existing file)
//   --keep FILE writes the generated history to FILE and leaves it there.
//
// The history is shaped like a real run: 50 client processes over register
// (read/write/cas on 100 keys) and set (add, plus reads returning a few dozen
// elements) workloads, some fail and info completions with errors, and a
// nemesis window every few thousand events. Figures to compare with: the issue
// asks for a 1,000,000-event load "well under 2 s".
#include <sys/stat.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "faultline/history/jsonl.h"
#include "faultline/history/load.h"

namespace {

using faultline::history::Event;
using faultline::history::FaultPhase;
using faultline::history::History;
using faultline::history::HistoryWriter;
using faultline::history::Json;
using faultline::history::NemesisEvent;
using faultline::history::Op;
using faultline::history::OpType;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU time of this process: on a shared machine wall time also counts other
// people's work, CPU time does not.
double cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<Event> generate(std::size_t target) {
  std::mt19937_64 rng(42);
  auto pick = [&](std::uint64_t n) { return static_cast<std::int64_t>(rng() % n); };
  constexpr int kProcesses = 50;
  const char* nodes[] = {"n1", "n2", "n3", "n4", "n5"};
  std::vector<Event> out;
  out.reserve(target + 16);
  std::vector<Op> in_flight(kProcesses);
  std::vector<bool> busy(kProcesses, false);
  std::vector<std::int64_t> process_id(kProcesses);
  for (int i = 0; i < kProcesses; ++i) process_id[i] = i;
  std::int64_t next_process = kProcesses;
  std::int64_t index = 0;
  std::int64_t time = 0;
  std::int64_t next_set_element = 0;
  bool partitioned = false;
  while (out.size() < target) {
    time += 1000 + pick(50000);
    if (index % 5000 == 4999) {
      NemesisEvent e;
      e.index = index++;
      e.time = time;
      e.phase = partitioned ? FaultPhase::kStop : FaultPhase::kStart;
      e.fault = "partition";
      e.nodes = {"n1", "n2"};
      e.params = partitioned ? Json::object() : Json{{"grudge", {{"n1", {"n3", "n4", "n5"}}, {"n2", {"n3", "n4", "n5"}}}}};
      partitioned = !partitioned;
      out.emplace_back(std::move(e));
      continue;
    }
    const int slot = static_cast<int>(pick(kProcesses));
    if (!busy[slot]) {
      Op op;
      op.index = index++;
      op.time = time;
      op.process = process_id[slot];
      op.type = OpType::kInvoke;
      op.node = nodes[pick(5)];
      const int kind = static_cast<int>(pick(10));
      if (kind < 3) {
        op.f = "read";
        op.key = "k" + std::to_string(pick(100));
        op.value = nullptr;
      } else if (kind < 5) {
        op.f = "write";
        op.key = "k" + std::to_string(pick(100));
        op.value = pick(1000);
      } else if (kind < 7) {
        op.f = "cas";
        op.key = "k" + std::to_string(pick(100));
        op.value = Json::array({pick(1000), pick(1000)});
      } else if (kind < 9) {
        op.f = "add";
        op.key = "set" + std::to_string(pick(4));
        op.value = next_set_element++;
      } else {
        op.f = "read";
        op.key = "set" + std::to_string(pick(4));
        op.value = nullptr;
      }
      in_flight[slot] = op;
      busy[slot] = true;
      out.emplace_back(std::move(op));
    } else {
      Op op = in_flight[slot];
      op.index = index++;
      op.time = time;
      const int outcome = static_cast<int>(pick(100));
      if (outcome < 90) {
        op.type = OpType::kOk;
        if (op.f == "read" && op.key->rfind("set", 0) == 0) {
          Json elements = Json::array();
          const std::int64_t n = 10 + pick(40);
          for (std::int64_t k = 0; k < n; ++k) elements.push_back(pick(next_set_element + 1));
          op.value = std::move(elements);
        } else if (op.f == "read") {
          op.value = pick(1000);
        }
      } else if (outcome < 96) {
        op.type = OpType::kFail;
        op.error = "cas-mismatch";
      } else {
        op.type = OpType::kInfo;
        op.error = "timeout after 500 ms: no quorum";
        process_id[slot] = next_process++;  // an info retires the process
      }
      busy[slot] = false;
      out.emplace_back(std::move(op));
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t events = 1000000;
  int runs = 5;
  std::string dir = "/tmp";
  std::string load_only;
  std::string keep;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--events" && i + 1 < argc) events = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (arg == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (arg == "--load" && i + 1 < argc) load_only = argv[++i];
    else if (arg == "--keep" && i + 1 < argc) keep = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--events N] [--runs R] [--dir DIR] | --load FILE [--runs R]\n", argv[0]);
      return 254;
    }
  }
  if (!load_only.empty()) {
    std::vector<double> wall, cpu;
    std::size_t n = 0;
    for (int run = 0; run < runs; ++run) {
      const auto start = std::chrono::steady_clock::now();
      const double c = cpu_seconds();
      const History h = faultline::history::load_history(load_only);
      wall.push_back(seconds_since(start));
      cpu.push_back(cpu_seconds() - c);
      n = h.ops.size() + h.nemesis.size();
    }
    std::printf("%s: %zu events; load median %.3f s wall, %.3f s CPU over %d runs\n", load_only.c_str(), n,
                median(wall), median(cpu), runs);
    return 0;
  }
  const std::string path =
      keep.empty() ? dir + "/faultline-history-bench-" + std::to_string(::getpid()) + ".jsonl" : keep;

  std::printf("generating %zu events...\n", events);
  const std::vector<Event> generated = generate(events);

  std::vector<double> write_times, write_cpu;
  std::vector<double> read_times, read_cpu;
  std::vector<double> load_times, load_cpu;
  std::size_t loaded_events = 0;
  for (int run = 0; run < runs; ++run) {
    auto start = std::chrono::steady_clock::now();
    double cpu = cpu_seconds();
    {
      HistoryWriter writer(path, Json{{"workload", "bench"}, {"seed", 42}});
      for (const Event& e : generated) {
        if (const Op* op = std::get_if<Op>(&e)) writer.append(*op);
        else writer.append(std::get<NemesisEvent>(e));
      }
      writer.close();
    }
    write_times.push_back(seconds_since(start));
    write_cpu.push_back(cpu_seconds() - cpu);

    start = std::chrono::steady_clock::now();
    cpu = cpu_seconds();
    History h = faultline::history::read_jsonl(path);
    read_times.push_back(seconds_since(start));
    read_cpu.push_back(cpu_seconds() - cpu);
    loaded_events = h.ops.size() + h.nemesis.size();
    h = History{};

    start = std::chrono::steady_clock::now();
    cpu = cpu_seconds();
    History v = faultline::history::load_history(path);
    load_times.push_back(seconds_since(start));
    load_cpu.push_back(cpu_seconds() - cpu);
  }
  struct stat st {};
  ::stat(path.c_str(), &st);
  if (keep.empty()) ::unlink(path.c_str());
  if (loaded_events != generated.size()) {
    std::fprintf(stderr, "loaded %zu events, wrote %zu\n", loaded_events, generated.size());
    return 1;
  }

  auto show = [&](const char* what, const std::vector<double>& t) {
    std::printf("%-38s median %.3f s  (runs:", what, median(t));
    for (double x : t) std::printf(" %.3f", x);
    std::printf(")  %.2f M events/s\n", static_cast<double>(events) / median(t) / 1e6);
  };
  std::printf("history: %zu events, %.1f MB of JSON Lines, %d runs\n", events,
              static_cast<double>(st.st_size) / 1e6, runs);
  show("write (HistoryWriter), wall", write_times);
  show("write, CPU (both threads)", write_cpu);
  show("read (read_jsonl), wall", read_times);
  show("read, CPU", read_cpu);
  show("load (load_history: + pairing), wall", load_times);
  show("load, CPU", load_cpu);
  std::printf("target: load of 1,000,000 events well under 2 s\n");
  return 0;
}
