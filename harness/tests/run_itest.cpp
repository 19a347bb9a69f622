// `faultline run` end to end, as a user runs it: real node processes in
// network namespaces (or on loopback), a real workload, the run store.
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

std::string netns_list() { return run_binary("/usr/sbin/ip", {"netns", "list"}).out; }

// Waits until the newest run under `out` has more than `min_bytes` of
// history; returns its directory, or "" after 30 s.
fs::path wait_for_history(const fs::path& out, std::uintmax_t min_bytes) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    const fs::path latest = fs::canonical(out / "latest", ec);
    if (!ec && fs::exists(latest / "history.jsonl") && fs::file_size(latest / "history.jsonl") > min_bytes) return latest;
    std::this_thread::sleep_for(100ms);
  }
  return {};
}

TEST(RunCommand, BadFlagsAreRefusedBeforeAnythingStarts) {
  TestDir dir("run-flags");
  const std::string out = (dir.path() / "store").string();
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  } cases[] = {
      {{"--nodes", "0"}, "--nodes"},
      {{"--store-preset", "nope"}, "--store-preset 'nope'"},
      {{"--nemesis", "earthquake"}, "unknown fault 'earthquake'"},
      {{"--backend", "local", "--nemesis", "partition"}, "needs per-node networks"},
      {{"--nemesis", "kill", "--nemesis-targets", "most"}, "--nemesis-targets 'most'"},
      {{"--nemesis", "kill", "--nemesis-interval", "0"}, "--nemesis-interval"},
      {{"--store-opt", "fsync"}, "key=value"},
      {{"--workload", "bank"}, "--workload 'bank'"},
      {{"--backend", "docker"}, "--backend 'docker'"},
      {{"--time-limit", "abc"}, "time-limit"},
      {{"--nodes", "2"}, "replication factor 3 exceeds 2 members"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"run", "--out", out};
    args.insert(args.end(), c.args.begin(), c.args.end());
    RunResult r = run_faultline(args);
    EXPECT_EQ(r.exit_code, 254) << c.args[0] << "\n" << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(out)) << "nothing may start for a refused run";
}

// The acceptance run: 5 netns nodes, 20 s of `register` on `safe`,
// no faults: valid, stored, indexed, re-checkable, and nothing left behind.
TEST(RunCommand, NetnsRegisterRunIsValidStoredAndLeavesNothing) {
  FAULTLINE_REQUIRE_ROOT();
  TestDir dir("run-netns");
  const std::string out = (dir.path() / "store").string();
  RunResult r = run_faultline({"run", "--nodes", "5", "--time-limit", "20", "--seed", "11", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("valid", 0), 0u) << r.out;
  const fs::path run_dir = fs::canonical(fs::path(out) / "latest");
  EXPECT_TRUE(fs::exists(run_dir / "history.jsonl"));
  const json config = read_json(run_dir / "config.json");
  EXPECT_EQ(config["seed"], 11);
  EXPECT_EQ(config["backend"], "netns");
  EXPECT_FALSE(config["commit"].get<std::string>().empty());
  const json results = read_json(run_dir / "results.json");
  EXPECT_EQ(results["verdict"], "valid") << results.dump(2);
  EXPECT_GT(results["ops"]["ok"].get<long>(), 100) << results.dump(2);
  EXPECT_LT(results["timings"]["first_op_s"].get<double>(), 10.0) << results.dump(2);
  for (int i = 1; i <= 5; ++i) {
    EXPECT_TRUE(fs::exists(run_dir / "nodes" / ("n" + std::to_string(i)) / "output.log"));
  }
  const std::string run_id = config["run_id"];
  EXPECT_EQ(netns_list().find("faultline-" + run_id), std::string::npos) << netns_list();

  RunResult runs = run_faultline({"runs", "--out", out, "--json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  const json row = json::parse(runs.out.substr(0, runs.out.find('\n')));
  EXPECT_EQ(row["id"], run_id);
  EXPECT_EQ(row["verdict"], "valid");
  EXPECT_EQ(row["seed"], 11);

  RunResult check = run_faultline({"check", run_dir.string()});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

// A controller killed mid-run: the history prefix is on disk and checkable,
// and `faultline cleanup` removes every namespace and process it left.
TEST(RunCommand, KilledRunLeavesACheckablePrefixAndCleanupRemovesTheRest) {
  FAULTLINE_REQUIRE_ROOT();
  TestDir dir("run-killed");
  const fs::path out = dir.path() / "store";
  namespace bp = boost::process;
  bp::child run(faultline::testing::faultline_binary(), bp::args({"run", "--nodes", "3", "--time-limit", "60", "--out", out.string()}),
                bp::std_out > bp::null, bp::std_err > (dir.path() / "run.err").string());
  const fs::path latest = wait_for_history(out, 20000);
  ASSERT_FALSE(latest.empty()) << faultline::testing::slurp((dir.path() / "run.err").string());
  ::kill(run.id(), SIGKILL);
  run.wait();
  const fs::path history = latest / "history.jsonl";
  const std::string run_id = read_json(history.parent_path() / "config.json")["run_id"];
  EXPECT_NE(netns_list().find("faultline-" + run_id), std::string::npos) << "a killed controller leaves its cluster";

  RunResult check = run_faultline({"check", history.parent_path().string()});
  EXPECT_TRUE(check.exit_code == 0 || check.exit_code == 2) << check.out << check.err;
  EXPECT_NE(check.out.find("\"operations\""), std::string::npos) << check.out;

  RunResult cleanup = run_faultline({"cleanup", "--run", run_id});
  EXPECT_EQ(cleanup.exit_code, 0) << cleanup.out << cleanup.err;
  EXPECT_EQ(netns_list().find("faultline-" + run_id), std::string::npos) << netns_list();
  RunResult pgrep = run_binary("/usr/bin/pgrep", {"-f", history.parent_path().string()});
  EXPECT_NE(pgrep.exit_code, 0) << "node processes of the killed run remain: " << pgrep.out;
  RunResult again = run_faultline({"cleanup", "--run", run_id});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
}

// Ctrl-C stops the workload early, and the run still tears down, checks what
// was recorded and stores it; the verdict says the run was cut short.
TEST(RunCommand, InterruptedRunTearsDownAndStoresWhatItRecorded) {
  FAULTLINE_REQUIRE_ROOT();
  TestDir dir("run-int");
  const fs::path out = dir.path() / "store";
  namespace bp = boost::process;
  bp::child run(faultline::testing::faultline_binary(),
                bp::args({"run", "--nodes", "3", "--time-limit", "60", "--test-count", "3", "--out", out.string()}),
                bp::std_out > (dir.path() / "run.out").string(), bp::std_err > (dir.path() / "run.err").string());
  const fs::path run_dir = wait_for_history(out, 5000);
  ASSERT_FALSE(run_dir.empty()) << faultline::testing::slurp((dir.path() / "run.err").string());
  const auto sent = std::chrono::steady_clock::now();
  ::kill(run.id(), SIGINT);
  ASSERT_TRUE(run.wait_for(std::chrono::seconds(30))) << "the run did not end after SIGINT";
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 15s);
  EXPECT_EQ(run.exit_code(), 2) << faultline::testing::slurp((dir.path() / "run.err").string());
  const json results = read_json(run_dir / "results.json");
  EXPECT_EQ(results["verdict"], "unknown") << results.dump(2);
  EXPECT_EQ(results["interrupted"], true);
  const std::string run_id = read_json(run_dir / "config.json")["run_id"];
  EXPECT_EQ(netns_list().find("faultline-" + run_id), std::string::npos) << netns_list();
  RunResult runs = run_faultline({"runs", "--out", out.string(), "--json"});
  EXPECT_EQ(std::count(runs.out.begin(), runs.out.end(), '\n'), 1) << "an interrupt ends --test-count too:\n" << runs.out;
}

// A node that cannot start fails the run with its output in the message,
// and the run is stored as an error.
TEST(RunCommand, ANodeThatFailsToStartFailsTheRunWithItsLogTail) {
  TestDir dir("run-badnode");
  const fs::path script = dir.path() / "broken-node";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\necho 'broken-node: cannot open the database (on purpose)' >&2\nexit 3\n";
  }
  fs::permissions(script, fs::perms::owner_all);
  const std::string out = (dir.path() / "store").string();
  RunResult r = run_faultline({"run", "--backend", "local", "--nodes", "3", "--time-limit", "5", "--node-binary",
                               script.string(), "--out", out});
  EXPECT_EQ(r.exit_code, 255) << r.out << r.err;
  EXPECT_NE(r.err.find("exited during start-up"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cannot open the database (on purpose)"), std::string::npos) << r.err;
  const json results = read_json(fs::canonical(fs::path(out) / "latest") / "results.json");
  EXPECT_EQ(results["verdict"], "error");
  RunResult runs = run_faultline({"runs", "--out", out, "--verdict", "error", "--json"});
  EXPECT_NE(runs.out.find("\"verdict\":\"error\""), std::string::npos) << runs.out;
}

// Each client's sequence of operations is a function of the seed: the main
// phase's, invoked before `time_limit_s` (the final phase's reads follow
// however many main-phase ops a run got through).
std::map<long, std::vector<std::string>> invokes_by_process(const fs::path& history, double time_limit_s) {
  const auto h = faultline::history::load_history(history.string());
  std::map<long, std::vector<std::string>> out;
  for (const auto& op : h.ops) {
    if (op.is_invoke() && static_cast<double>(op.time) < time_limit_s * 1e9)
      out[op.process].push_back(op.f + " " + op.key.value_or("") + " " + op.value.dump());
  }
  return out;
}

TEST(RunCommand, TheSameSeedGivesTheSameOperations) {
  TestDir dir("run-seed");
  std::vector<std::map<long, std::vector<std::string>>> runs;
  for (const char* sub : {"a", "b"}) {
    const std::string out = (dir.path() / sub).string();
    RunResult r = run_faultline({"run", "--backend", "local", "--nodes", "3", "--time-limit", "3", "--rate", "60",
                                 "--seed", "99", "--out", out});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    runs.push_back(invokes_by_process(fs::canonical(fs::path(out) / "latest") / "history.jsonl", 3));
  }
  ASSERT_FALSE(runs[0].empty());
  std::size_t compared = 0;
  for (const auto& [process, ops] : runs[0]) {
    auto it = runs[1].find(process);
    ASSERT_NE(it, runs[1].end()) << "process " << process << " missing in the second run";
    const std::size_t n = std::min(ops.size(), it->second.size());
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(ops[i], it->second[i]) << "process " << process << " op " << i;
    compared += n;
  }
  EXPECT_GT(compared, 60u);
}

}  // namespace
