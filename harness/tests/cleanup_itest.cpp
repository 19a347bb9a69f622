// Cleanup after a controller that died by SIGKILL: a child process (this test
// binary re-run with a filter) builds a cluster and is killed; what it left
// must be removed entirely by cleanup_leftovers() and by `faultline cleanup`,
// and a second cleanup must find nothing.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/process.hpp>
#include <iostream>
#include <sstream>

#include "backend_itest_support.h"
#include "faultline/testing/require_root.h"
#include "faultline/testing/run_binary.h"
#include "faultline/testing/test_dir.h"

namespace faultline::harness::testing {
namespace {

namespace bp = boost::process;
using node::testing::TestDir;

constexpr const char* kChildEnv = "FAULTLINE_CLEANUP_CHILD";

// The doomed controller: builds a 3-node cluster, says so, and waits to be killed.
TEST(CleanupChild, DISABLED_CreateClusterAndWait) {
  const char* spec = std::getenv(kChildEnv);
  if (spec == nullptr) GTEST_SKIP() << "only run as the child of a cleanup test";
  std::istringstream in(spec);
  std::string kind, run_id, state, data, ready;
  in >> kind >> run_id >> state >> data >> ready;
  auto backend = make_backend(kind, {.run_id = run_id, .state_dir = state});
  const auto nodes = backend->create(node_names(3));
  std::string pids;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    backend->start(node_spec(nodes, i, data));
  }
  ASSERT_TRUE(wait_all_ping(nodes, 15s).empty());
  for (const auto& n : nodes) pids += std::to_string(backend->pid(n.name)) + " ";
  {
    std::ofstream out(ready + ".tmp");
    out << pids << "\n";
  }
  fs::rename(ready + ".tmp", ready);
  std::this_thread::sleep_for(120s);
}

struct DeadController {
  std::string run_id;
  fs::path state;
  std::vector<pid_t> node_pids;
};

class CleanupTest : public ::testing::Test {
 protected:
  // Starts the child controller and waits until its nodes answer.
  std::unique_ptr<bp::child> spawn(const std::string& kind, DeadController& d) {
    d.run_id = fresh_run_id();
    d.state = dir_.path() / "state";
    const fs::path ready = dir_.path() / ("ready-" + d.run_id);
    auto env = boost::this_process::environment();
    env[kChildEnv] = kind + " " + d.run_id + " " + d.state.string() + " " + (dir_.path() / "data").string() + " " +
                     ready.string();
    auto child = std::make_unique<bp::child>(
        fs::read_symlink("/proc/self/exe").string(), "--gtest_filter=CleanupChild.DISABLED_CreateClusterAndWait",
        "--gtest_also_run_disabled_tests", env, bp::std_out > (dir_.path() / "child.out").string(),
        bp::std_err > (dir_.path() / "child.err").string());
    const auto deadline = Clock::now() + 30s;
    while (!fs::exists(ready) && child->running() && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
    if (!fs::exists(ready)) {
      ADD_FAILURE() << "child controller never got ready:\n" << faultline::testing::slurp((dir_.path() / "child.out").string());
      return child;
    }
    std::ifstream in(ready);
    for (pid_t p; in >> p;) d.node_pids.push_back(p);
    return child;
  }

  void kill_controller(bp::child& child) {
    ::kill(child.id(), SIGKILL);
    child.wait();
  }

  static bool mentions(const std::vector<std::string>& lines, const std::string& what) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(what) != std::string::npos; });
  }

  TestDir dir_{"cleanup"};
};

TEST_F(CleanupTest, NetnsLeftoversOfAKilledControllerAreRemoved) {
  FAULTLINE_REQUIRE_ROOT();
  DeadController d;
  auto child = spawn("netns", d);
  ASSERT_EQ(d.node_pids.size(), 3u);
  kill_controller(*child);
  // The controller is gone; its nodes and network are not.
  for (pid_t p : d.node_pids) EXPECT_TRUE(pid_exists(p)) << p;
  EXPECT_EQ(leftovers_named(d.run_id).size(), 1u + 3u + 3u) << join(leftovers_named(d.run_id));  // bridge, veths, netns

  const auto t0 = Clock::now();
  CleanupReport report = cleanup_leftovers(d.state, d.run_id);
  std::cout << "[figure] cleanup of a killed 3-node netns run: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count() << " ms\n";
  EXPECT_TRUE(report.errors.empty()) << join(report.errors);
  for (const auto& n : node_names(3)) EXPECT_TRUE(mentions(report.removed, "netns faultline-" + d.run_id + "-" + n)) << join(report.removed);
  EXPECT_TRUE(mentions(report.removed, "bridge flb" + d.run_id)) << join(report.removed);
  for (pid_t p : d.node_pids) {
    EXPECT_TRUE(mentions(report.removed, "process " + std::to_string(p))) << join(report.removed);
    EXPECT_FALSE(pid_exists(p)) << p;
  }
  EXPECT_TRUE(leftovers_named(d.run_id).empty()) << join(leftovers_named(d.run_id));
  EXPECT_FALSE(fs::exists(d.state / d.run_id));
  EXPECT_FALSE(fs::exists("/run/faultline-claims/" + d.run_id));

  CleanupReport again = cleanup_leftovers(d.state, d.run_id);
  EXPECT_TRUE(again.removed.empty()) << join(again.removed);
  EXPECT_TRUE(again.errors.empty()) << join(again.errors);
}

TEST_F(CleanupTest, FaultlineCleanupBinaryRemovesThemAndThenFindsNothing) {
  FAULTLINE_REQUIRE_ROOT();
  DeadController d;
  auto child = spawn("netns", d);
  ASSERT_EQ(d.node_pids.size(), 3u);
  kill_controller(*child);
  auto first = faultline::testing::run_faultline({"cleanup", "--run", d.run_id, "--state-dir", d.state.string()});
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("netns faultline-" + d.run_id + "-n2"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("bridge flb" + d.run_id), std::string::npos) << first.out;
  EXPECT_TRUE(leftovers_named(d.run_id).empty()) << join(leftovers_named(d.run_id));
  for (pid_t p : d.node_pids) EXPECT_FALSE(pid_exists(p)) << p;

  auto second =
      faultline::testing::run_faultline({"cleanup", "--run", d.run_id, "--state-dir", d.state.string(), "--json"});
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  const auto j = nlohmann::json::parse(second.out);
  EXPECT_TRUE(j["removed"].empty()) << second.out;
  EXPECT_TRUE(j["errors"].empty()) << second.out;
}

TEST_F(CleanupTest, ObjectsWithoutAManifestAreFoundByName) {
  FAULTLINE_REQUIRE_ROOT();
  DeadController d;
  auto child = spawn("netns", d);
  ASSERT_EQ(d.node_pids.size(), 3u);
  kill_controller(*child);
  fs::remove_all(d.state);  // manifest lost; only names and tags remain
  CleanupReport report = cleanup_leftovers(dir_.path() / "elsewhere", d.run_id);
  EXPECT_TRUE(report.errors.empty()) << join(report.errors);
  EXPECT_TRUE(mentions(report.removed, "netns faultline-" + d.run_id + "-n1")) << join(report.removed);
  EXPECT_TRUE(leftovers_named(d.run_id).empty()) << join(leftovers_named(d.run_id));
  for (pid_t p : d.node_pids) EXPECT_FALSE(pid_exists(p)) << p;
}

TEST_F(CleanupTest, ALiveRunIsLeftAlone) {
  FAULTLINE_REQUIRE_ROOT();
  DeadController d;
  auto child = spawn("netns", d);
  ASSERT_EQ(d.node_pids.size(), 3u);
  // Its controller is alive, so the run is skipped, untouched. (Named by id:
  // a test must not sweep the whole machine, other people's runs included.)
  CleanupReport report = cleanup_leftovers(d.state, d.run_id);
  EXPECT_TRUE(mentions(report.skipped, "run " + d.run_id)) << join(report.skipped);
  EXPECT_FALSE(mentions(report.removed, d.run_id)) << join(report.removed);
  for (pid_t p : d.node_pids) EXPECT_TRUE(pid_exists(p)) << p;
  EXPECT_FALSE(leftovers_named(d.run_id).empty());
  kill_controller(*child);
  report = cleanup_leftovers(d.state, d.run_id);
  EXPECT_TRUE(report.errors.empty()) << join(report.errors);
  EXPECT_TRUE(leftovers_named(d.run_id).empty());
}

TEST_F(CleanupTest, LocalLeftoversOfAKilledControllerAreRemoved) {
  DeadController d;
  auto child = spawn("local", d);
  ASSERT_EQ(d.node_pids.size(), 3u);
  kill_controller(*child);
  for (pid_t p : d.node_pids) EXPECT_TRUE(pid_exists(p)) << p;
  CleanupReport report = cleanup_leftovers(d.state, d.run_id);
  EXPECT_TRUE(report.errors.empty()) << join(report.errors);
  for (pid_t p : d.node_pids) {
    EXPECT_TRUE(mentions(report.removed, "process " + std::to_string(p))) << join(report.removed);
    EXPECT_FALSE(pid_exists(p)) << p;
  }
  EXPECT_FALSE(fs::exists(d.state / d.run_id));
  EXPECT_TRUE(cleanup_leftovers(d.state, d.run_id).removed.empty());
}

TEST(CleanupCli, BadRunIdIsAUsageError) {
  auto r = faultline::testing::run_faultline({"cleanup", "--run", "Not/A-Run"});
  EXPECT_EQ(r.exit_code, 254) << r.out << r.err;
  EXPECT_NE(r.err.find("Not/A-Run"), std::string::npos) << r.err;
  auto bogus = faultline::testing::run_faultline({"cleanup", "--bogus"});
  EXPECT_EQ(bogus.exit_code, 254) << bogus.out << bogus.err;
}

TEST(CleanupCli, NothingToRemoveIsExitZero) {
  TestDir dir("cleanup-empty");
  auto r = faultline::testing::run_faultline({"cleanup", "--run", fresh_run_id(), "--state-dir", dir.str()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("nothing to remove"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace faultline::harness::testing
