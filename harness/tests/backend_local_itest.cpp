// The local backend with real faultline-node processes on loopback ports:
// reachable, kill/restart keeping the data dir, pause/resume, teardown
// leaving no process or state behind. Needs no root.
#include <gtest/gtest.h>

#include <iostream>

#include "backend_itest_support.h"
#include "faultline/testing/test_dir.h"

namespace faultline::harness::testing {
namespace {

using node::testing::TestDir;

TEST(LocalBackend, FiveNodesReachableKillRestartPauseTeardown) {
  TestDir dir("local-backend");
  const std::string run_id = fresh_run_id();
  const fs::path state = dir.path() / "state";
  auto backend = make_backend("local", {.run_id = run_id, .state_dir = state});
  EXPECT_EQ(backend->kind(), "local");
  EXPECT_FALSE(backend->supports_network_faults());
  EXPECT_TRUE(fs::exists(state / run_id / "manifest.json"));

  const auto t0 = Clock::now();
  const auto nodes = backend->create(node_names(5));
  ASSERT_EQ(nodes.size(), 5u);
  std::vector<NodeSpec> specs;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    EXPECT_EQ(nodes[i].host, "127.0.0.1");
    EXPECT_GT(nodes[i].port, 0);
    EXPECT_EQ(backend->net_namespace(nodes[i].name), "");
    specs.push_back(node_spec(nodes, i, dir.path()));
    backend->start(specs.back());
  }
  const auto down = wait_all_ping(nodes, 15s);
  ASSERT_TRUE(down.empty()) << "never answered ping: " << join(down);
  std::cout << "[figure] local 5 nodes: create+start until all ping "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count() << " ms\n";

  // The manifest names every running node with its pid.
  const std::string manifest = [&] {
    std::ifstream in(state / run_id / "manifest.json");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  for (const auto& n : nodes) {
    EXPECT_EQ(fs::path(exe_of(backend->pid(n.name))).filename(), "faultline-node");
    EXPECT_NE(manifest.find("\"pid\": " + std::to_string(backend->pid(n.name))), std::string::npos) << manifest;
  }

  {
    workloads::KvClient client(nodes[0].address(), 5000ms);
    auto put = client.put("k", "v1", {.consistency = "ALL"});
    ASSERT_TRUE(put.ok()) << put.error << " " << put.message;
  }
  // Kill every replica's process in turn is too slow; kill n2 and restart it.
  workloads::KvClient before(nodes[1].address(), 2000ms);
  const auto held = before.get("k", {.local = true});
  before.close();
  const pid_t old_pid = backend->pid("n2");
  backend->kill("n2");
  EXPECT_FALSE(backend->running("n2"));
  EXPECT_FALSE(pid_exists(old_pid));
  EXPECT_FALSE(ping(nodes[1]));
  backend->start(specs[1]);
  ASSERT_TRUE(wait_all_ping({nodes[1]}, 10s).empty());
  workloads::KvClient after(nodes[1].address(), 2000ms);
  EXPECT_EQ(after.get("k", {.local = true}).value(), held.value()) << "n2's data dir did not survive the restart";
  {
    workloads::KvClient client(nodes[1].address(), 5000ms);
    EXPECT_EQ(client.get("k", {.consistency = "QUORUM"}).value(), "v1");
  }

  backend->pause("n5");
  EXPECT_TRUE(backend->running("n5"));
  EXPECT_FALSE(ping(nodes[4], 300ms));
  backend->resume("n5");
  EXPECT_TRUE(wait_all_ping({nodes[4]}, 5s).empty());

  backend->stop("n1", 3000ms);
  EXPECT_FALSE(backend->running("n1"));
  EXPECT_EQ(backend->pid("n1"), -1);

  std::vector<pid_t> pids;
  for (const auto& n : nodes)
    if (backend->pid(n.name) > 0) pids.push_back(backend->pid(n.name));
  const auto t_down = Clock::now();
  backend->teardown();
  std::cout << "[figure] local 5 nodes: teardown "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t_down).count() << " ms\n";
  for (pid_t p : pids) EXPECT_FALSE(pid_exists(p)) << "pid " << p;
  EXPECT_FALSE(fs::exists(state / run_id));
  backend->teardown();
}

TEST(LocalBackend, UnknownNodesAndKindsAreClearErrors) {
  TestDir dir("local-backend-errors");
  auto backend = make_backend("local", {.run_id = fresh_run_id(), .state_dir = dir.path()});
  EXPECT_THROW(backend->create({}), std::invalid_argument);
  backend->create({"a", "b"});
  try {
    backend->start({.name = "zz", .argv = {"/bin/sleep", "10"}});
    FAIL() << "start of an unknown node succeeded";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("zz"), std::string::npos) << e.what();
  }
  try {
    backend->start({.name = "a", .argv = {"/no/such/program"}});
    FAIL() << "start of a missing program succeeded";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("/no/such/program"), std::string::npos) << e.what();
  }
  EXPECT_THROW(backend->pause("b"), BackendError);  // never started
  EXPECT_FALSE(backend->running("b"));
  EXPECT_EQ(backend->pid("b"), -1);
}

}  // namespace
}  // namespace faultline::harness::testing
