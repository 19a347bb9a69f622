// The netns backend with real faultline-node processes: one namespace per
// node on a bridge, reachable from the controller, kill/restart keeping the
// data dir, pause/resume, and a teardown that leaves nothing behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <thread>
#include <sstream>

#include "backends/ip_tool.h"  // the listings under test are private to harness/
#include "backend_itest_support.h"
#include "faultline/testing/require_root.h"
#include "faultline/testing/test_dir.h"

namespace faultline::harness::testing {
namespace {

using node::testing::TestDir;

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Keys n3 holds in its own storage (a local read: no coordination).
int keys_held_locally(const NodeAddress& node, int keys) {
  workloads::KvClient client(node.address(), 2000ms);
  int held = 0;
  for (int k = 0; k < keys; ++k) {
    auto r = client.get("key" + std::to_string(k), {.local = true});
    if (r.ok() && r.value() == "value" + std::to_string(k)) ++held;
  }
  return held;
}

class NetnsBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FAULTLINE_REQUIRE_ROOT();
    run_id_ = fresh_run_id();
  }
  std::unique_ptr<Backend> make() {
    return make_backend("netns", {.run_id = run_id_, .state_dir = dir_.path() / "state", .port = 7000});
  }
  TestDir dir_{"netns-backend"};
  std::string run_id_;
};

TEST_F(NetnsBackendTest, FiveNodesReachableKillRestartPauseTeardown) {
  const std::string own_netns = fs::read_symlink("/proc/self/ns/net").string();
  auto backend = make();
  EXPECT_EQ(backend->kind(), "netns");
  EXPECT_TRUE(backend->supports_network_faults());

  const auto t0 = Clock::now();
  const auto nodes = backend->create(node_names(5));
  const auto t_created = Clock::now();
  ASSERT_EQ(nodes.size(), 5u);
  std::vector<NodeSpec> specs;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    specs.push_back(node_spec(nodes, i, dir_.path()));
    backend->start(specs.back());
  }
  const auto down = wait_all_ping(nodes, 15s);
  const auto t_ready = Clock::now();
  ASSERT_TRUE(down.empty()) << "never answered ping: " << join(down);
  const auto create_ms = std::chrono::duration_cast<std::chrono::milliseconds>(t_created - t0).count();
  const auto ready_ms = std::chrono::duration_cast<std::chrono::milliseconds>(t_ready - t0).count();
  std::cout << "[figure] netns 5 nodes: create " << create_ms << " ms, create+start until all ping " << ready_ms
            << " ms\n";
  EXPECT_LT(ready_ms, 10000) << "goal is 3 s";

  // Addresses: .1 .. .5 of one 10.x.y.0/24 whose .254 is the bridge.
  const std::string prefix = nodes[0].host.substr(0, nodes[0].host.rfind('.') + 1);
  EXPECT_EQ(prefix.rfind("10.", 0), 0u) << nodes[0].host;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    EXPECT_EQ(nodes[i].host, prefix + std::to_string(i + 1));
    EXPECT_EQ(nodes[i].port, 7000);
  }
  const std::string bridge_addrs = command_output({"ip", "-4", "-o", "addr", "show", "dev", "flb" + run_id_});
  EXPECT_NE(bridge_addrs.find(prefix + "254/24"), std::string::npos) << bridge_addrs;

  // Each pid is faultline-node itself (ip netns exec exec'd, not forked),
  // living in its node's namespace; the controller never left its own.
  for (const auto& n : nodes) {
    const pid_t pid = backend->pid(n.name);
    ASSERT_GT(pid, 0) << n.name;
    EXPECT_EQ(fs::path(exe_of(pid)).filename(), "faultline-node") << n.name << " pid " << pid;
    const std::string ns = backend->net_namespace(n.name);
    EXPECT_EQ(ns, "faultline-" + run_id_ + "-" + n.name);
    EXPECT_EQ(inode_of("/proc/" + std::to_string(pid) + "/ns/net"), inode_of("/run/netns/" + ns)) << n.name;
    // No way out: the node namespace has no default route.
    const std::string routes = command_output({"ip", "-n", ns, "route", "show"});
    EXPECT_EQ(routes.find("default"), std::string::npos) << routes;
  }
  EXPECT_EQ(fs::read_symlink("/proc/self/ns/net").string(), own_netns);

  // Writes through one node, reads through every other, over the bridge.
  {
    workloads::KvClient client(nodes[0].address(), 5000ms);
    for (int k = 0; k < 20; ++k) {
      auto r = client.put("key" + std::to_string(k), "value" + std::to_string(k), {.consistency = "ALL"});
      ASSERT_TRUE(r.ok()) << r.error << " " << r.message;
    }
  }
  for (const auto& n : nodes) {
    workloads::KvClient client(n.address(), 5000ms);
    auto r = client.get("key7", {.consistency = "QUORUM"});
    ASSERT_TRUE(r.ok()) << n.name << ": " << r.error << " " << r.message;
    EXPECT_EQ(r.value(), "value7") << n.name;
  }

  // Kill n3 (SIGKILL), restart it on the same data dir: its data is still there.
  const int held_before = keys_held_locally(nodes[2], 20);
  EXPECT_GT(held_before, 0);
  const pid_t old_pid = backend->pid("n3");
  backend->kill("n3");
  EXPECT_FALSE(backend->running("n3"));
  EXPECT_EQ(backend->pid("n3"), -1);
  EXPECT_FALSE(pid_exists(old_pid));
  EXPECT_FALSE(ping(nodes[2]));
  backend->start(specs[2]);
  ASSERT_TRUE(wait_all_ping({nodes[2]}, 10s).empty()) << "n3 did not come back";
  EXPECT_NE(backend->pid("n3"), old_pid);
  EXPECT_EQ(keys_held_locally(nodes[2], 20), held_before);

  // Pause: the process exists but does not answer; resume: it answers again.
  backend->pause("n2");
  EXPECT_TRUE(backend->running("n2"));
  EXPECT_FALSE(ping(nodes[1], 300ms));
  backend->resume("n2");
  EXPECT_TRUE(wait_all_ping({nodes[1]}, 5s).empty());

  // Graceful stop of a paused node still ends it (SIGCONT follows SIGTERM).
  backend->pause("n4");
  backend->stop("n4", 3000ms);
  EXPECT_FALSE(backend->running("n4"));

  std::vector<pid_t> pids;
  for (const auto& n : nodes)
    if (backend->pid(n.name) > 0) pids.push_back(backend->pid(n.name));
  const auto t_down = Clock::now();
  backend->teardown();
  const auto teardown_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t_down).count();
  std::cout << "[figure] netns 5 nodes: teardown " << teardown_ms << " ms\n";
  // The goal is 2 s; the bound only catches a hang (a node stuck in fsync on a
  // machine shared with disk-heavy jobs has taken 5 s to die).
  EXPECT_LT(teardown_ms, 10000) << "goal is 2 s";
  EXPECT_TRUE(leftovers_named(run_id_).empty()) << join(leftovers_named(run_id_));
  for (pid_t p : pids) EXPECT_FALSE(pid_exists(p)) << "pid " << p;
  EXPECT_FALSE(fs::exists(dir_.path() / "state" / run_id_));
  EXPECT_FALSE(fs::exists("/run/faultline-claims/" + run_id_));
  backend->teardown();  // idempotent
  EXPECT_TRUE(leftovers_named(run_id_).empty());
}

TEST_F(NetnsBackendTest, SubnetInUseIsSkipped) {
  std::string first_host;
  {
    auto backend = make();
    first_host = backend->create({"n1"})[0].host;
  }  // destructor tears down
  EXPECT_TRUE(leftovers_named(run_id_).empty());
  // Occupy that /24 with a link of our own (a bridge: the dummy module may be missing), then the same run id must pick another.
  const std::string taken = first_host.substr(0, first_host.rfind('.')) + ".200/24";
  const std::string dummy = "flxd" + run_id_.substr(1);
  ASSERT_TRUE(process::run_command({"ip", "link", "add", dummy, "type", "bridge"}).succeeded());
  ASSERT_TRUE(process::run_command({"ip", "addr", "add", taken, "dev", dummy}).succeeded());
  std::string second_host;
  {
    auto backend = make();
    second_host = backend->create({"n1"})[0].host;
  }
  process::run_command({"ip", "link", "del", dummy});
  EXPECT_NE(second_host.substr(0, second_host.rfind('.')), first_host.substr(0, first_host.rfind('.')));
}

TEST_F(NetnsBackendTest, BadRequestsAreClearErrors) {
  EXPECT_THROW(make_backend("qemu", {.run_id = run_id_, .state_dir = dir_.path()}), std::invalid_argument);
  try {
    make_backend("qemu", {.run_id = run_id_, .state_dir = dir_.path()});
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("qemu"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("netns"), std::string::npos);
  }
  EXPECT_THROW(make_backend("netns", {.run_id = "Bad-Id", .state_dir = dir_.path()}), std::invalid_argument);
  auto backend = make();
  EXPECT_THROW(backend->create({"n1", "n1"}), std::invalid_argument);
  EXPECT_THROW(backend->create({"n 1"}), std::invalid_argument);
  EXPECT_THROW(backend->start({.name = "nx", .argv = {"/bin/true"}}), BackendError);
  // A second backend on the same run id is refused while the first lives.
  EXPECT_THROW(make(), BackendError);
  backend->create({"n1"});
  EXPECT_THROW(backend->create({"n2"}), BackendError);
  try {
    backend->start({.name = "n1", .argv = {"/no/such/program"}});
    FAIL() << "start of a missing program succeeded";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("/no/such/program"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(backend->running("n1"));
  backend->teardown();
  EXPECT_TRUE(leftovers_named(run_id_).empty());
  // After teardown nothing can start again (a runner racing its own teardown).
  EXPECT_THROW(backend->start({.name = "n1", .argv = {"/bin/sleep", "10"}}), BackendError);
}

// Parallel tests (and other users of the host) add and remove links while a
// backend lists the host's links and addresses to pick a free subnet. With
// many links a dump spans several netlink messages, and a change between
// them makes `ip` report "Dump was interrupted" instead of JSON; the listing
// must be taken again rather than fail the run. 80 idle bridges make the
// dumps multi-part (about 3 % of them were interrupted here without the
// retry), one thread churns a bridge, and every listing must succeed.
TEST_F(NetnsBackendTest, ListingsSurviveLinksChangingDuringTheDump) {
  const std::string prefix = "flxq" + run_id_.substr(1, 5);
  std::string add, del;
  for (int i = 0; i < 80; ++i) {
    const std::string name = prefix + std::to_string(i);
    add += "link add " + name + " type bridge\naddr add 10.252." + std::to_string(i) + ".1/24 dev " + name + "\n";
    del += "link del " + name + "\n";
  }
  const fs::path batch = dir_.path() / "links.batch";
  const fs::path unbatch = dir_.path() / "unlinks.batch";
  std::ofstream(batch) << add;
  std::ofstream(unbatch) << del;
  ASSERT_TRUE(process::run_command({"ip", "-batch", batch.string()}, {.timeout = 20s}).succeeded());
  std::atomic<bool> stop{false};
  std::atomic<int> churns{0};
  std::thread churn([&] {
    const std::string name = prefix + "c";
    while (!stop) {
      process::run_command({"ip", "link", "add", name, "type", "bridge"});
      process::run_command({"ip", "addr", "add", "10.252.250.1/24", "dev", name});
      process::run_command({"ip", "link", "del", name});
      ++churns;
    }
  });
  int listed = 0;
  std::string error;
  for (int i = 0; i < 80 && error.empty(); ++i) {
    try {
      const auto nets = ipv4_networks_in_use();
      const auto links = list_links();
      if (links.size() >= 80 && nets.size() >= 80) ++listed;
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  stop = true;
  churn.join();
  process::run_command({"ip", "-force", "-batch", unbatch.string()}, {.timeout = 20s});
  EXPECT_EQ(error, "");
  EXPECT_EQ(listed, 80);
  EXPECT_GT(churns.load(), 0);
}

long read_sysctl(const std::string& path) {
  std::ifstream in(path);
  long v = -1;
  in >> v;
  return v;
}

// All namespaces share one ARP table whose hard limit (gc_thresh3, 1024 by
// default) 50 all-to-all nodes overflow; connections then hang in SYN-SENT.
// A large cluster's create() raises the limits. The test puts them back to
// the kernel's defaults first (what a fresh machine has; the small clusters
// other tests run fit well within them).
TEST_F(NetnsBackendTest, LargeClusterRaisesTheSharedNeighbourTableLimits) {
  const std::string dir = "/proc/sys/net/ipv4/neigh/default/";
  std::ofstream(dir + "gc_thresh3") << std::max(1024L, read_sysctl(dir + "gc_thresh2"));
  std::ofstream(dir + "gc_thresh2") << 512;
  std::ofstream(dir + "gc_thresh3") << 1024;
  ASSERT_EQ(read_sysctl(dir + "gc_thresh3"), 1024);
  constexpr std::size_t kNodes = 40;
  auto backend = make();
  backend->create(node_names(kNodes));
  EXPECT_GE(read_sysctl(dir + "gc_thresh3"), static_cast<long>(2 * kNodes * (kNodes + 1)));
  EXPECT_GE(read_sysctl(dir + "gc_thresh2"), static_cast<long>(kNodes * (kNodes + 1)));
  backend->teardown();
  EXPECT_TRUE(leftovers_named(run_id_).empty());
}

// Scale: how many nodes this machine can run. Disabled by default (it takes
// long under load); run with --gtest_also_run_disabled_tests and
// FAULTLINE_SCALE_NODES=10,20,50.
TEST_F(NetnsBackendTest, DISABLED_Scale) {
  const char* env = std::getenv("FAULTLINE_SCALE_NODES");
  std::istringstream sizes(env ? env : "10,20");
  for (std::string item; std::getline(sizes, item, ',');) {
    const int n = std::stoi(item);
    run_id_ = fresh_run_id();
    auto backend = make();
    const auto t0 = Clock::now();
    const auto nodes = backend->create(node_names(n));
    const auto t_created = Clock::now();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      auto spec = node_spec(nodes, i, dir_.path() / item);
      spec.argv.push_back("--io_threads");
      spec.argv.push_back("1");
      backend->start(spec);
    }
    const auto down = wait_all_ping(nodes, std::chrono::seconds(30 + n));
    const auto t_ready = Clock::now();
    const auto t_down = Clock::now();
    backend->teardown();
    const auto t_gone = Clock::now();
    auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
    std::cout << "[figure] netns " << n << " nodes: create " << ms(t_created - t0) << " ms, until all ping "
              << ms(t_ready - t0) << " ms, " << (n - static_cast<int>(down.size())) << "/" << n
              << " answered, teardown " << ms(t_gone - t_down) << " ms\n";
    EXPECT_TRUE(down.empty()) << n << " nodes: never answered: " << join(down);
    EXPECT_TRUE(leftovers_named(run_id_).empty());
  }
}

}  // namespace
}  // namespace faultline::harness::testing
