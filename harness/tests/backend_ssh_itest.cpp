// The ssh backend for real, without VMs: the "hosts" are network namespaces
// (made with the netns backend) each running Debian's sshd on its own
// address only, with a host key and a client key generated for the test.
// `faultline run --backend ssh` then deploys to them over ssh, exactly as it
// would to VMs; only the hosts share this machine's kernel (and file system,
// so /tmp/faultline-<run> is one directory for all of them).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "backend_itest_support.h"
#include "faultline/harness/backend.h"
#include "faultline/process/command.h"
#include "faultline/testing/require_root.h"
#include "faultline/testing/run_binary.h"
#include "faultline/testing/test_dir.h"

namespace {

namespace fs = std::filesystem;
using faultline::harness::Backend;
using faultline::harness::NodeAddress;
using faultline::harness::NodeSpec;
using faultline::node::testing::TestDir;
using faultline::testing::run_binary;
using faultline::testing::run_faultline;
using faultline::testing::RunResult;
using faultline::testing::slurp;
using nlohmann::json;
using namespace std::chrono_literals;

std::string sh(const std::string& line) {
  auto r = faultline::process::run_command({"/bin/sh", "-c", line}, {.timeout = 20000ms});
  EXPECT_TRUE(r.succeeded()) << line << ": " << r.describe();
  return r.output;
}

bool tcp_open(const std::string& ip, int port) {
  return faultline::process::run_command({"/bin/bash", "-c", "exec 3<>/dev/tcp/" + ip + "/" + std::to_string(port)},
                                         {.timeout = 1000ms})
      .succeeded();
}

// Three namespaces on a bridge, sshd in each, keys in a test dir.
class SshHosts {
 public:
  SshHosts() : dir_("ssh-hosts") {
    // sshd's privilege separation needs its empty directory and user.
    fs::create_directories("/run/sshd");
    ::chmod("/run/sshd", 0755);
    if (!faultline::process::run_command({"id", "sshd"}).succeeded()) {
      sh("useradd --system --no-create-home --home-dir /run/sshd --shell /usr/sbin/nologin sshd");
    }
    ::chmod(dir_.path().c_str(), 0755);
    sh("ssh-keygen -q -t ed25519 -N '' -f " + (dir_.path() / "host_key").string());
    sh("ssh-keygen -q -t ed25519 -N '' -f " + key().string());
    sh("ssh-keygen -q -t ed25519 -N '' -f " + other_key().string());  // never authorized
    fs::copy_file(key().string() + ".pub", dir_.path() / "authorized_keys");

    // The hosts' /etc/passwd gives root /bin/sh: sshd runs commands through
    // the login shell, and this machine's root has a .bashrc that takes
    // seconds (pyenv); a host of our own would not. Bound over /etc/passwd in
    // sshd's own mount namespace only.
    sh("sed 's|^root:\\([^:]*:[^:]*:[^:]*:[^:]*:[^:]*\\):[^:]*$|root:\\1:/bin/sh|' /etc/passwd > " +
       (dir_.path() / "passwd").string());
    backend_ = faultline::harness::make_backend("netns", {.run_id = faultline::harness::testing::fresh_run_id()});
    hosts_ = backend_->create({"h1", "h2", "h3"});
    for (const auto& h : hosts_) {
      const fs::path config = dir_.path() / ("sshd_" + h.name + ".conf");
      std::ofstream(config) << "ListenAddress " << h.host << "\nPort 22\nHostKey " << (dir_.path() / "host_key").string()
                            << "\nAuthorizedKeysFile " << (dir_.path() / "authorized_keys").string()
                            << "\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
                               "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\n"
                               "MaxStartups 100:30:200\nLogLevel ERROR\n";
      NodeSpec spec{.name = h.name,
                    .argv = {"unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                             "mount --bind " + (dir_.path() / "passwd").string() +
                                 " /etc/passwd && exec /usr/sbin/sshd -D -e -f " + config.string()},
                    .env = {},
                    .data_dir = dir_.path() / h.name,
                    .log_path = dir_.path() / (h.name + ".sshd.log")};
      backend_->start(spec);
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (const auto& h : hosts_) {
      while (!tcp_open(h.host, 22) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
    }
    std::ofstream nodes(nodes_file());
    nodes << "# the test's stand-in hosts\n";
    for (std::size_t i = 0; i < hosts_.size(); ++i) nodes << "n" << (i + 1) << " " << hosts_[i].host << "\n";
  }
  ~SshHosts() { backend_->teardown(); }

  const fs::path& dir() const { return dir_.path(); }
  fs::path key() const { return dir_.path() / "client_key"; }
  fs::path other_key() const { return dir_.path() / "other_key"; }
  fs::path nodes_file() const { return dir_.path() / "nodes.txt"; }
  const std::vector<NodeAddress>& hosts() const { return hosts_; }
  // The namespace of host i (n1 -> h1), as a /proc/<pid>/ns/net link would read.
  std::string netns_inode(std::size_t i) const {
    struct stat st {};
    const std::string path = "/run/netns/" + backend_->net_namespace(hosts_[i].name);
    if (::stat(path.c_str(), &st) != 0) return "";
    return "net:[" + std::to_string(st.st_ino) + "]";
  }
  std::string netns(std::size_t i) const { return backend_->net_namespace(hosts_[i].name); }
  bool sshd_up() const {
    for (const auto& h : hosts_)
      if (!tcp_open(h.host, 22)) return false;
    return true;
  }

 private:
  TestDir dir_;
  std::unique_ptr<Backend> backend_;
  std::vector<NodeAddress> hosts_;
};

// Every process whose environment carries FAULTLINE_RUN_ID=<run>.
std::vector<std::string> tagged(const std::string& run_id) {
  auto r = faultline::process::run_command(
      {"/bin/sh", "-c", "grep -lzx FAULTLINE_RUN_ID=" + run_id + " /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3"});
  std::vector<std::string> out;
  std::istringstream lines(r.output);
  for (std::string l; std::getline(lines, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

class SshBackend : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!faultline::testing::running_as_root() || !fs::exists("/usr/sbin/sshd")) return;
    hosts_ = new SshHosts();
  }
  static void TearDownTestSuite() {
    delete hosts_;
    hosts_ = nullptr;
  }
  void SetUp() override {
    FAULTLINE_REQUIRE_ROOT();
    if (!fs::exists("/usr/sbin/sshd")) FAULTLINE_SKIP_OR_FAIL("sshd (openssh-server) is not installed");
    ASSERT_TRUE(hosts_->sshd_up()) << "sshd did not come up in the namespaces; see " << hosts_->dir();
  }
  static SshHosts* hosts_;
};
SshHosts* SshBackend::hosts_ = nullptr;

TEST_F(SshBackend, RegisterRunWithPartitionsDeploysRunsAndLeavesNothing) {
  TestDir dir("ssh-run");
  const fs::path out = dir.path() / "store";
  auto run = std::async(std::launch::async, [&] {
    return run_faultline({"run", "--backend", "ssh", "--nodes-file", hosts_->nodes_file().string(),
                          "--ssh-private-key", hosts_->key().string(), "--workload", "register", "--nemesis",
                          "partition", "--nemesis-interval", "2", "--time-limit", "8", "--recovery", "2", "--out",
                          out.string(), "--seed", "7"});
  });

  // While it runs: each node is the uploaded binary, in its host's namespace.
  std::string run_id;
  std::vector<std::string> seen_exe(3), seen_ns(3);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && run.wait_for(0s) != std::future_status::ready) {
    std::error_code ec;
    const fs::path latest = fs::canonical(out / "latest", ec);
    if (!ec && run_id.empty() && fs::exists(latest / "config.json")) {
      run_id = json::parse(slurp((latest / "config.json").string())).value("run_id", "");
    }
    if (!run_id.empty()) {
      bool all = true;
      for (std::size_t i = 0; i < 3; ++i) {
        const std::string pid_file = "/tmp/faultline-" + run_id + "/n" + std::to_string(i + 1) + "/node.pid";
        const std::string pid = faultline::process::first_line(slurp(pid_file));
        if (pid.empty()) {
          all = false;
          continue;
        }
        seen_exe[i] = fs::read_symlink("/proc/" + pid + "/exe", ec).string();
        seen_ns[i] = fs::read_symlink("/proc/" + pid + "/ns/net", ec).string();
        // setsid, nohup and env exec in turn before the node itself runs.
        all = all && !seen_ns[i].empty() && seen_exe[i] == "/tmp/faultline-" + run_id + "/bin/faultline-node";
      }
      if (all) break;
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(run_id.empty()) << "no run appeared under " << out;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(seen_exe[i], "/tmp/faultline-" + run_id + "/bin/faultline-node") << "n" << i + 1;
    EXPECT_EQ(seen_ns[i], hosts_->netns_inode(i)) << "n" << i + 1 << " is not in " << hosts_->netns(i);
  }

  const RunResult r = run.get();
  const fs::path run_dir = fs::canonical(out / "latest");
  // safe preset: partitions must not break linearizability.
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("valid  run " + run_id), std::string::npos) << r.out;
  const json results = json::parse(slurp((run_dir / "results.json").string()));
  EXPECT_EQ(results.value("verdict", ""), "valid");
  EXPECT_GE(results["nemesis"].value("windows", 0), 1) << results.dump();
  EXPECT_GT(results["ops"].value("ok", 0), 50) << results.dump();
  const std::string nemesis_log = slurp((run_dir / "nemesis.log").string());
  EXPECT_NE(nemesis_log.find("start partition"), std::string::npos) << nemesis_log;
  EXPECT_NE(nemesis_log.find("\"mechanism\":\"nftables\""), std::string::npos) << nemesis_log;
  EXPECT_NE(slurp((run_dir / "history.jsonl").string()).find("\"partition\""), std::string::npos);
  const json config = json::parse(slurp((run_dir / "config.json").string()));
  EXPECT_EQ(config["ssh_hosts"]["n2"], hosts_->hosts()[1].host);
  // Logs came back: each node's own log from its data dir on the host.
  for (int i = 1; i <= 3; ++i) {
    const fs::path log = run_dir / "nodes" / ("n" + std::to_string(i)) / "data" / "node.log";
    EXPECT_TRUE(fs::exists(log) && fs::file_size(log) > 0) << log;
    EXPECT_TRUE(fs::exists(run_dir / "nodes" / ("n" + std::to_string(i)) / "output.log"));
  }
  // Nothing left: no daemons, no remote dir, no firewall table, no state.
  EXPECT_TRUE(tagged(run_id).empty());
  EXPECT_FALSE(fs::exists("/tmp/faultline-" + run_id));
  EXPECT_FALSE(fs::exists("/run/faultline/" + run_id));
  for (std::size_t i = 0; i < 3; ++i) {
    const auto tables = run_binary("/usr/sbin/ip", {"netns", "exec", hosts_->netns(i), "nft", "list", "tables"});
    EXPECT_EQ(tables.out.find("faultline"), std::string::npos) << tables.out;
  }
}

TEST_F(SshBackend, PausesAndKillsGoByPidOverSsh) {
  TestDir dir("ssh-pause-kill");
  const fs::path out = dir.path() / "store";
  const RunResult r = run_faultline({"run", "--backend", "ssh", "--nodes-file", hosts_->nodes_file().string(),
                                     "--ssh-private-key", hosts_->key().string(), "--workload", "register",
                                     // 15 s: a kill window waits for the restart over ssh,
                                     // which took 4.6 s on a loaded machine and left no
                                     // time for a pause window in 9 s.
                                     "--nemesis", "pause,kill", "--nemesis-interval", "1", "--time-limit", "15",
                                     "--recovery", "2", "--out", out.string(), "--seed", "11"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const fs::path run_dir = fs::canonical(out / "latest");
  const std::string log = slurp((run_dir / "nemesis.log").string());
  // Both kinds of window opened, and pauses were signals to the remote pid
  // (never this machine's cgroup freezer).
  EXPECT_NE(log.find("start pause"), std::string::npos) << log;
  EXPECT_NE(log.find("\"mechanism\":\"sigstop\""), std::string::npos) << log;
  EXPECT_NE(log.find("start kill"), std::string::npos) << log;
  EXPECT_EQ(log.find("could not start"), std::string::npos) << log;
  const json results = json::parse(slurp((run_dir / "results.json").string()));
  EXPECT_EQ(results.value("verdict", ""), "valid") << results.dump();
  EXPECT_EQ(results["nemesis"].value("start_failures", -1), 0) << results.dump();
  const json config = json::parse(slurp((run_dir / "config.json").string()));
  EXPECT_TRUE(tagged(config.value("run_id", "")).empty());
}

TEST_F(SshBackend, CleanupReachesTheHostsThroughTheManifest) {
  TestDir dir("ssh-cleanup");
  const fs::path out = dir.path() / "store";
  // --leave-running stands in for a controller that died: the daemons stay.
  const RunResult r = run_faultline({"run", "--backend", "ssh", "--nodes-file", hosts_->nodes_file().string(),
                                     "--ssh-private-key", hosts_->key().string(), "--time-limit", "2", "--out",
                                     out.string(), "--leave-running"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("run ([a-z0-9]+)"))) << r.out;
  const std::string run_id = m[1];
  EXPECT_EQ(tagged(run_id).size(), 3u);
  EXPECT_TRUE(fs::exists("/tmp/faultline-" + run_id + "/bin/faultline-node"));

  const RunResult c = run_faultline({"cleanup", "--run", run_id});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_NE(c.out.find("removed dir /tmp/faultline-" + run_id), std::string::npos) << c.out;
  EXPECT_TRUE(tagged(run_id).empty());
  EXPECT_FALSE(fs::exists("/tmp/faultline-" + run_id));
  EXPECT_FALSE(fs::exists("/run/faultline/" + run_id));
}

TEST_F(SshBackend, BadInputIsRefusedBeforeTheRunNamingHostOrFlag) {
  TestDir dir("ssh-bad");
  const std::string out = (dir.path() / "store").string();
  const std::string h1 = hosts_->hosts()[0].host;
  const fs::path empty = dir.path() / "empty.txt";
  std::ofstream(empty) << "# nothing here\n\n";
  const fs::path not_key = dir.path() / "not_a_key";
  std::ofstream(not_key) << "hello\n";
  const std::string key = hosts_->key().string();
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  } cases[] = {
      {{"--nodes-file", (dir.path() / "missing.txt").string()}, "missing.txt: cannot be read"},
      {{"--nodes-file", empty.string()}, "no hosts"},
      {{"--node", h1, "--node", h1}, "given twice"},
      {{"--nodes-file", hosts_->nodes_file().string(), "--ssh-private-key", not_key.string()}, "not a private key"},
      {{"--nodes-file", hosts_->nodes_file().string(), "--ssh-private-key", key, "--nodes", "3"}, "--nodes does not apply"},
      // Nothing listens on port 2: refused at once.
      {{"--nodes-file", hosts_->nodes_file().string(), "--ssh-private-key", key, "--ssh-port", "2"},
       "host " + h1 + " (n1, root@" + h1 + ":2): exit 255: ssh: connect to host " + h1 + " port 2: Connection refused"},
      // An address on the hosts' network where nothing answers: bounded by
      // ConnectTimeout (or ARP giving up), never a hang.
      {{"--node", h1.substr(0, h1.rfind('.')) + ".200", "--node", h1.substr(0, h1.rfind('.')) + ".201", "--node",
        h1.substr(0, h1.rfind('.')) + ".202", "--ssh-private-key", key},
       "host " + h1.substr(0, h1.rfind('.')) + ".200 (n1"},
      // A key the hosts do not know.
      {{"--nodes-file", hosts_->nodes_file().string(), "--ssh-private-key", hosts_->other_key().string()},
       "Permission denied"},
      // Strict checking: these host keys are in no known_hosts file.
      {{"--nodes-file", hosts_->nodes_file().string(), "--ssh-private-key", key, "--strict-host-key-checking"},
       "you have requested strict checking"},
      // The stand-in hosts share this machine's kernel: their clock is ours.
      {{"--nodes-file", hosts_->nodes_file().string(), "--ssh-private-key", key, "--nemesis", "clock"},
       "shares this machine's clock"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"run", "--backend", "ssh", "--out", out, "--time-limit", "5"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto t0 = std::chrono::steady_clock::now();
    const RunResult r = run_faultline(args);
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(r.exit_code, 254) << c.needle << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << "expected '" << c.needle << "' in: " << r.err;
    EXPECT_LT(took, 10s) << c.needle;
  }
  EXPECT_FALSE(fs::exists(dir.path() / "store" / "latest")) << "a run started despite bad input";
}

}  // namespace
