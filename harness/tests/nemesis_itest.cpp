// The nemesis end to end through `faultline run`: real faults on real netns
// clusters finding the bugs the weak presets have, the safe preset staying
// valid under them, and nothing left behind — after a normal run, a SIGTERM,
// and a controller crash followed by `faultline cleanup`.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <boost/process.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "faultline/history/load.h"
#include "faultline/testing/require_root.h"
#include "faultline/testing/run_binary.h"
#include "faultline/testing/test_dir.h"

namespace {

namespace fs = std::filesystem;
using faultline::node::testing::TestDir;
using faultline::testing::run_binary;
using faultline::testing::run_faultline;
using faultline::testing::RunResult;
using nlohmann::json;
using namespace std::chrono_literals;

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

using faultline::testing::slurp;

// Everything a run's faults could leave behind, one line per object found.
std::vector<std::string> leftovers(const std::string& run_id) {
  std::vector<std::string> found;
  const std::string prefix = "faultline-" + run_id + "-";
  const std::string netns = run_binary("/usr/sbin/ip", {"netns", "list"}).out;
  if (netns.find(prefix) != std::string::npos) found.push_back("namespaces: " + netns);
  for (const char* freezer : {"/sys/fs/cgroup/freezer", "/sys/fs/cgroup"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(freezer, ec))
      if (e.path().filename().string().rfind(prefix, 0) == 0) found.push_back("cgroup " + e.path().string());
  }
  // Processes of the run (nodes, shapers), running or stopped.
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream env(e.path() / "environ", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(env)), std::istreambuf_iterator<char>());
    if (all.find(std::string("FAULTLINE_RUN_ID=") + run_id + '\0') != std::string::npos) {
      found.push_back("process " + pid + ": " + slurp(e.path() / "cmdline"));
    }
  }
  // The run's scratch dir holds the faketime offset files.
  if (fs::exists(fs::path("/run/faultline") / run_id)) found.push_back("state dir /run/faultline/" + run_id);
  return found;
}

std::string describe(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += "\n  " + s;
  return out;
}

struct FinishedRun {
  RunResult result;
  fs::path dir;
  json results;
  faultline::history::History history;
  std::string run_id;
};

FinishedRun run(const TestDir& dir, std::vector<std::string> args) {
  FinishedRun f;
  const fs::path out = dir.path() / "store";
  std::vector<std::string> all = {"run", "--out", out.string(), "--nodes", "5"};
  if (std::find(args.begin(), args.end(), "--recovery") == args.end()) all.insert(all.end(), {"--recovery", "2"});
  all.insert(all.end(), args.begin(), args.end());
  f.result = run_faultline(all);
  std::error_code ec;
  f.dir = fs::canonical(out / "latest", ec);
  if (ec) return f;
  f.results = read_json(f.dir / "results.json");
  f.run_id = f.results["run_id"];
  f.history = faultline::history::load_history((f.dir / "history.jsonl").string(), faultline::history::Format::kJsonl);
  return f;
}

int windows_of(const faultline::history::History& h, const std::string& fault) {
  int n = 0;
  for (const auto& e : h.nemesis)
    if (e.fault == fault && e.phase == faultline::history::FaultPhase::kStart) ++n;
  return n;
}

long anomalies_of(const json& results, const std::string& kind) {
  return results["anomalies"].value(kind, 0L);
}

// Every anomaly the checkers report names the ops that witness it.
void expect_witnesses(const json& results) {
  int seen = 0;
  for (const auto& r : results["results"]) {
    for (const auto& a : r.value("anomalies", json::array())) {
      EXPECT_FALSE(a["witness"].empty()) << a.dump();
      ++seen;
    }
  }
  EXPECT_GT(seen, 0) << results.dump(2);
}

TEST(Nemesis, R1w1UnderPartitionsShowsStaleReads) {
  FAULTLINE_REQUIRE_ROOT();
  TestDir dir("nemesis-r1w1");
  // --expect: the run passes when it catches what the preset is documented
  // to show, and nothing else.
  FinishedRun f = run(dir, {"--store-preset", "r1w1", "--nemesis", "partition", "--nemesis-interval", "2",
                            "--time-limit", "20", "--seed", "3", "--expect", "stale-read,nonlinearizable"});
  ASSERT_EQ(f.result.exit_code, 0) << f.result.out << f.result.err;
  // The verdict is still the model's: invalid, labelled expected, never valid.
  EXPECT_EQ(f.results["verdict"], "invalid") << f.results.dump(2);
  EXPECT_EQ(f.results["expected"], true);
  EXPECT_EQ(f.results["expect"]["met"], true);
  EXPECT_NE(f.result.out.find("INVALID \u2014 expected for r1w1: "), std::string::npos) << f.result.out;
  EXPECT_NE(f.result.err.find("--expect met"), std::string::npos) << f.result.err;
  EXPECT_GE(windows_of(f.history, "partition"), 3) << slurp(f.dir / "nemesis.log");
  EXPECT_GT(anomalies_of(f.results, "stale-read"), 0) << f.results.dump(2);
  expect_witnesses(f.results);
  // Each window carries its grudge, for reports to draw.
  for (const auto& e : f.history.nemesis) {
    if (e.phase == faultline::history::FaultPhase::kStart) {
      EXPECT_TRUE(e.params.contains("grudge")) << e.params.dump();
    }
  }
  EXPECT_TRUE(leftovers(f.run_id).empty()) << describe(leftovers(f.run_id));
}

TEST(Nemesis, LwwWallUnderClockSkewLosesUpdates) {
  FAULTLINE_REQUIRE_ROOT();
  TestDir dir("nemesis-lww");
  FinishedRun f = run(dir, {"--store-preset", "lww-wall", "--nemesis", "clock", "--nemesis-interval", "2",
                            "--time-limit", "20", "--seed", "5"});
  // Without --expect the exit code is the verdict's: invalid.
  ASSERT_EQ(f.result.exit_code, 1) << f.result.out << f.result.err;
  EXPECT_EQ(f.results["expected"], true) << f.results.dump(2);
  EXPECT_EQ(f.results["expected_for"], "lww-wall");
  EXPECT_GE(windows_of(f.history, "clock"), 3) << slurp(f.dir / "nemesis.log");
  // A write stamped by a lagging clock loses to an older one: later reads
  // return the older value (stale reads, and no linearization exists).
  EXPECT_GT(anomalies_of(f.results, "stale-read") + anomalies_of(f.results, "nonlinearizable"), 0)
      << f.results.dump(2);
  expect_witnesses(f.results);
  for (const auto& e : f.history.nemesis) EXPECT_TRUE(e.params.contains("offsets_ms")) << e.params.dump();
  EXPECT_TRUE(leftovers(f.run_id).empty()) << describe(leftovers(f.run_id));
}

// Stale reads that returned a value after a delete of the key began once
// that value's write had completed and completed before the read began:
// deletes undone after the fact (or lost). Worked out from the history
// here, not taken from the checker's missed_delete.
int reads_of_deleted_keys(const FinishedRun& f) {
  using faultline::history::OpType;
  const auto& ops = f.history.ops;
  std::map<std::int64_t, std::int64_t> invoke_of;  // completion index -> its invocation's
  {
    std::map<std::int64_t, std::int64_t> open;      // process -> invocation index
    for (const auto& op : ops) {
      if (op.type == OpType::kInvoke) open[op.process] = op.index;
      else if (open.count(op.process)) invoke_of[op.index] = open[op.process];
    }
  }
  int found = 0;
  for (const auto& r : f.results["results"]) {
    if (r["checker"] != "register-stale-read") continue;
    for (const auto& a : r.value("anomalies", json::array())) {
      const json& d = a["details"];
      if (a["kind"] != "stale-read" || d["value"].is_null() || !d["write"].is_object() ||
          !d["write"]["complete"].is_number_integer())
        continue;
      const auto key = d["key"].get<std::string>();
      const auto written = d["write"]["complete"].get<std::int64_t>();
      const auto read_at = d["read"]["invoke"].get<std::int64_t>();
      for (const auto& op : ops) {
        if (op.index >= read_at) break;
        if (op.key == key && op.f == "write" && op.type == OpType::kOk && op.value.is_null() &&
            invoke_of.count(op.index) && invoke_of[op.index] > written) {
          ++found;
          break;
        }
      }
    }
  }
  return found;
}

int ok_deletes(const faultline::history::History& h) {
  int n = 0;
  for (const auto& op : h.ops) n += op.f == "write" && op.type == faultline::history::OpType::kOk && op.value.is_null();
  return n;
}

// gc-grace purges tombstones after 1 s, and keeps hints for 1 s only: a
// replica cut off by a partition when a key is deleted keeps its old value
// and, once healed, anti-entropy hands that value back to the replicas that
// purged the delete. The same run with the safe preset (grace of 10 days)
// keeps every delete. Same seed and flags; only the preset differs.
TEST(Nemesis, GcGraceResurrectsDeletesThatSafeKeeps) {
  FAULTLINE_REQUIRE_ROOT();
  // A resurrection needs a key whose value reached every replica before a
  // window and whose last write is a delete more than the hint window
  // before the heal. Keys change generation all at once (every worker
  // moves on after its share of ops_per_key), here every 2 s (200 ops per
  // key over 20 workers at 5 ops/s each), so each 4 s window sees one
  // change early enough: 20 keys, half of them last written by a delete.
  // (With 4 s generations whether a window saw one was down to the seed.)
  const std::vector<std::string> flags = {"--nemesis", "partition", "--nemesis-interval", "4", "--time-limit", "30",
                                          "--rate", "100", "--concurrency", "20", "--delete-fraction", "0.5",
                                          "--recovery", "5", "--seed", "4"};
  TestDir dir("nemesis-gc-grace");
  std::vector<std::string> args = {"--store-preset", "gc-grace"};
  args.insert(args.end(), flags.begin(), flags.end());
  FinishedRun f = run(dir, args);
  EXPECT_EQ(f.result.exit_code, 1) << f.result.out << f.result.err;  // invalid, as any resurrection is
  EXPECT_EQ(f.results["verdict"], "invalid") << f.results.dump(2);
  EXPECT_EQ(f.results["expected"], true) << "gc-grace documents resurrected deletes (stale reads)";
  EXPECT_GT(reads_of_deleted_keys(f), 0) << f.results.dump(2);
  expect_witnesses(f.results);
  EXPECT_TRUE(leftovers(f.run_id).empty()) << describe(leftovers(f.run_id));

  TestDir safe_dir("nemesis-gc-safe");
  args = {"--store-preset", "safe"};
  args.insert(args.end(), flags.begin(), flags.end());
  FinishedRun s = run(safe_dir, args);
  EXPECT_EQ(s.result.exit_code, 0) << s.result.out << s.result.err;
  EXPECT_EQ(s.results["verdict"], "valid") << s.results.dump(2);
  EXPECT_GT(ok_deletes(s.history), 50);
  EXPECT_EQ(reads_of_deleted_keys(s), 0);
}

class SafeUnderFaults : public ::testing::TestWithParam<int> {};

TEST_P(SafeUnderFaults, IsValid) {
  FAULTLINE_REQUIRE_ROOT();
  TestDir dir("nemesis-safe");
  FinishedRun f = run(dir, {"--store-preset", "safe", "--nemesis", "partition,pause,kill,clock", "--nemesis-interval",
                            "2", "--time-limit", "20", "--seed", std::to_string(GetParam())});
  EXPECT_EQ(f.result.exit_code, 0) << f.result.out << f.result.err << "\n" << f.results.dump(2);
  EXPECT_EQ(f.results["verdict"], "valid") << f.results.dump(2);
  EXPECT_GE(f.history.nemesis.size(), 4u) << slurp(f.dir / "nemesis.log");  // two windows at least
  EXPECT_GT(f.results["ops"]["ok"].get<long>(), 1000) << f.results.dump(2);
  EXPECT_TRUE(f.results["nemesis"]["heal_errors"].empty()) << f.results.dump(2);
  EXPECT_TRUE(leftovers(f.run_id).empty()) << describe(leftovers(f.run_id));
}

INSTANTIATE_TEST_SUITE_P(Seeds, SafeUnderFaults, ::testing::Values(101, 202, 303));

TEST(Nemesis, ZombieWindowsAreRecordedAndSafeStaysValid) {
  FAULTLINE_REQUIRE_ROOT();
  TestDir dir("nemesis-zombie");
  FinishedRun f = run(dir, {"--store-preset", "safe", "--nemesis", "zombie", "--nemesis-interval", "2",
                            "--nemesis-targets", "one", "--time-limit", "12", "--seed", "9"});
  EXPECT_EQ(f.result.exit_code, 0) << f.result.out << f.result.err;
  EXPECT_GE(windows_of(f.history, "zombie"), 2) << slurp(f.dir / "nemesis.log");
  EXPECT_TRUE(leftovers(f.run_id).empty()) << describe(leftovers(f.run_id));
}

// Packet faults take whichever mechanism the kernel allows (here: the NFQUEUE
// shaper, as this kernel has no sch_netem), say which in the run log, and
// leave no shaper process or rule behind.
TEST(Nemesis, PacketFaultsSayTheirMechanismAndLeaveNothing) {
  FAULTLINE_REQUIRE_ROOT();
  TestDir dir("nemesis-packet");
  FinishedRun f = run(dir, {"--store-preset", "safe", "--nemesis", "packet", "--nemesis-interval", "2",
                            "--packet-faults", "delay,loss,reorder", "--time-limit", "14", "--seed", "4"});
  EXPECT_EQ(f.result.exit_code, 0) << f.result.out << f.result.err << f.results.dump(2);
  const std::string log = slurp(f.dir / "nemesis.log");
  EXPECT_NE(log.find("packet faults use "), std::string::npos) << log;
  EXPECT_GE(windows_of(f.history, "packet"), 2) << log;
  for (const auto& e : f.history.nemesis) {
    if (e.phase != faultline::history::FaultPhase::kStart) continue;
    const std::string kind = e.params.value("kind", "");
    EXPECT_TRUE(kind == "delay" || kind == "loss" || kind == "reorder") << e.params.dump();
    const std::string mechanism = e.params.value("mechanism", "");
    EXPECT_NE(log.find(mechanism == "netem" ? "netem qdiscs" : "NFQUEUE userspace shaper"), std::string::npos) << log;
  }
  EXPECT_TRUE(f.results["nemesis"]["heal_errors"].empty()) << f.results.dump(2);
  EXPECT_TRUE(leftovers(f.run_id).empty()) << describe(leftovers(f.run_id));
}

TEST(Nemesis, ImpossibleFaultsAreRefusedBeforeTheRun) {
  FAULTLINE_REQUIRE_ROOT();  // as root the backend defaults to netns, where packet faults exist
  TestDir dir("nemesis-refused");
  const fs::path out = dir.path() / "store";
  RunResult r = run_faultline({"run", "--out", out.string(), "--nemesis", "packet", "--packet-faults", "jitterbug"});
  EXPECT_EQ(r.exit_code, 254) << r.err;
  EXPECT_NE(r.err.find("--packet-faults 'jitterbug'"), std::string::npos) << r.err;
  r = run_faultline({"run", "--out", out.string(), "--backend", "local", "--nemesis", "packet"});
  EXPECT_EQ(r.exit_code, 254) << r.err;
  EXPECT_NE(r.err.find("needs per-node networks"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

// Waits for `needle` in the newest run's nemesis.log; returns the run dir.
fs::path wait_for_log(const fs::path& out, const std::string& needle, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    const fs::path latest = fs::canonical(out / "latest", ec);
    if (!ec && slurp(latest / "nemesis.log").find(needle) != std::string::npos) return latest;
    std::this_thread::sleep_for(20ms);
  }
  return {};
}

// A run whose every node is paused for long (suspicion timeout 10 x 500 ms:
// pauses of 2.5 to 10 s), started in the background and returned once its
// first pause window is open, so the test acts while the nodes are frozen.
struct FrozenRun {
  boost::process::child controller;
  fs::path run_dir;
  std::string run_id;
};

FrozenRun start_frozen_run(const TestDir& dir) {
  namespace bp = boost::process;
  const fs::path out = dir.path() / "store";
  FrozenRun r;
  r.controller = bp::child(faultline::testing::faultline_binary(),
                           bp::args({"run", "--out", out.string(), "--nodes", "3", "--nemesis", "pause",
                                     "--nemesis-targets", "all", "--nemesis-interval", "1", "--time-limit", "60",
                                     "--store-opt", "unreachable_after=10"}),
                           bp::std_out > bp::null, bp::std_err > (dir.path() / "run.err").string());
  r.run_dir = wait_for_log(out, "start pause", 30s);
  if (!r.run_dir.empty()) r.run_id = read_json(r.run_dir / "config.json")["run_id"];
  return r;
}

TEST(Nemesis, SigtermMidPauseHealsAndLeavesNothing) {
  FAULTLINE_REQUIRE_ROOT();
  TestDir dir("nemesis-term");
  FrozenRun run = start_frozen_run(dir);
  ASSERT_FALSE(run.run_dir.empty()) << slurp(dir.path() / "run.err");
  auto& c = run.controller;
  const fs::path& run_dir = run.run_dir;
  const std::string& run_id = run.run_id;
  // Signalled at once, mid-window (looking for leftovers first would scan
  // /proc while nodes are frozen, which can take long enough for the
  // window, or the whole run, to be over).
  ASSERT_EQ(::kill(c.id(), SIGTERM), 0);
  // Polled rather than wait_for(), whose timeout Boost 1.74 does not always honour.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (c.running() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  ASSERT_FALSE(c.running()) << "the run did not end within 30 s of SIGTERM:\n" << slurp(dir.path() / "run.err");
  c.wait();
  EXPECT_EQ(c.exit_code(), 2) << slurp(dir.path() / "run.err") << slurp(run_dir / "results.json");
  EXPECT_TRUE(leftovers(run_id).empty()) << describe(leftovers(run_id));
  // The open window was closed in the history.
  const auto h = faultline::history::load_history((run_dir / "history.jsonl").string(), faultline::history::Format::kJsonl);
  ASSERT_FALSE(h.nemesis.empty());
  EXPECT_EQ(h.nemesis.back().phase, faultline::history::FaultPhase::kStop);
}

TEST(Nemesis, CleanupAfterAControllerCrashThawsFrozenNodes) {
  FAULTLINE_REQUIRE_ROOT();
  TestDir dir("nemesis-crash");
  FrozenRun run = start_frozen_run(dir);
  ASSERT_FALSE(run.run_dir.empty()) << slurp(dir.path() / "run.err");
  const std::string& run_id = run.run_id;
  ::kill(run.controller.id(), SIGKILL);
  run.controller.wait();
  bool frozen_group = false;
  for (const auto& l : leftovers(run_id)) frozen_group = frozen_group || l.rfind("cgroup ", 0) == 0;
  EXPECT_TRUE(frozen_group) << "a crashed controller leaves its frozen nodes:" << describe(leftovers(run_id));
  RunResult cleanup = run_faultline({"cleanup", "--run", run_id});
  EXPECT_EQ(cleanup.exit_code, 0) << cleanup.out << cleanup.err;
  EXPECT_TRUE(leftovers(run_id).empty()) << describe(leftovers(run_id));
}

}  // namespace
