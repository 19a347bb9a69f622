// The ssh backend: one node per host, reached with the OpenSSH client over a
// multiplexed connection per host (ssh_session.h). The node binary and its
// config go to /tmp/faultline-<run>/ on the host (skipped when the same bytes
// are there), the node runs there as a daemon (setsid, nohup, pid file, log
// file), and every signal is a `kill` over ssh by pid. Faults run on the host
// through node_command(): `ssh host 'nft ...'`, the uploaded faultline-agent.
//
// Teardown fetches each node's logs into the run directory first (also when
// the run failed), then shares its removal with `faultline cleanup`
// (ssh_remote.h), which reaches the hosts through the manifest.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <atomic>
#include <mutex>
#include <spdlog/spdlog.h>
#include <thread>

#include "backends/backends.h"
#include "backends/manifest.h"
#include "backends/run_removal.h"
#include "ssh/ssh_remote.h"
#include "ssh/ssh_session.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// The IPv4 address of `host` as this machine resolves it: what the node's
// peers and the partition rules use.
std::string resolve_ipv4(const std::string& host) {
  in_addr a{};
  if (::inet_pton(AF_INET, host.c_str(), &a) == 1) return host;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    throw BackendError("host " + host + ": no IPv4 address (partitions match peers by IPv4 address)");
  }
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof buf);
  ::freeaddrinfo(res);
  return buf;
}

// Runs fn(i) for i in [0, n) on up to 8 threads; throws the first error.
void parallel(std::size_t n, const std::function<void(std::size_t)>& fn) {
  std::vector<std::string> errors(n);
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  for (std::size_t w = 0; w < std::min<std::size_t>(8, n); ++w) {
    workers.emplace_back([&] {
      for (std::size_t i; (i = next++) < n;) {
        try {
          fn(i);
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  for (const auto& e : errors)
    if (!e.empty()) throw BackendError(e);
}

class SshBackend final : public Backend {
 public:
  explicit SshBackend(const BackendOptions& options)
      : run_id_(options.run_id),
        port_(options.port),
        options_(options.ssh),
        tools_(options.tools),
        manifest_(options.state_dir.empty() ? default_state_dir() : options.state_dir, options.run_id, "ssh"),
        control_dir_(manifest_.dir() / "ssh"),
        remote_dir_(ssh_remote_dir(options.run_id)) {}

  ~SshBackend() override { teardown(); }

  std::string kind() const override { return "ssh"; }
  const std::string& run_id() const override { return run_id_; }
  bool supports_network_faults() const override { return true; }
  bool local_processes() const override { return false; }

  std::vector<NodeAddress> create(const std::vector<std::string>& node_names) override {
    check_node_names(node_names, 250);
    std::lock_guard lock(mu_);
    if (created_) throw BackendError("run " + run_id_ + ": create() called twice");
    created_ = true;
    for (const auto& name : node_names) {
      const SshHost* h = nullptr;
      for (const auto& candidate : options_.hosts)
        if (candidate.name == name) h = &candidate;
      if (h == nullptr) throw BackendError("ssh backend: node " + name + " has no host (--nodes-file or --node)");
      auto n = std::make_unique<Node>();
      n->name = name;
      n->host = h->host;
      n->session = std::make_unique<SshSession>(options_, h->host, control_dir_);
      nodes_.push_back(std::move(n));
    }
    // Recorded before any host is touched, so a cleanup after a crash at any
    // later point knows where to go.
    SshOptions recorded = options_;
    recorded.hosts.clear();
    for (const auto& n : nodes_) recorded.hosts.push_back({n->name, n->host});
    manifest_.set_ssh(ssh_manifest(recorded, control_dir_, remote_dir_));

    parallel(nodes_.size(), [&](std::size_t i) {
      Node& n = *nodes_[i];
      n.ip = resolve_ipv4(n.host);
      if (std::string why = n.session->open(); !why.empty()) throw BackendError(why);
      n.session->must_run("creating " + remote_dir_, "mkdir -p -- " + shell_quote(remote_dir_ + "/bin"));
    });
    // The device toward the peers, for netem (the route to another node).
    parallel(nodes_.size(), [&](std::size_t i) {
      Node& n = *nodes_[i];
      const std::string peer = nodes_[(i + 1) % nodes_.size()]->ip;
      auto r = n.session->run("ip -o route get " + shell_quote(peer), milliseconds(5000));
      const auto dev = r.output.find(" dev ");
      if (r.succeeded() && dev != std::string::npos) {
        const auto start = dev + 5;
        n.device = r.output.substr(start, r.output.find(' ', start) - start);
      }
      for (const auto& tool : tools_) upload_binary(n, tool);
    });
    std::vector<NodeAddress> out;
    for (const auto& n : nodes_) out.push_back({n->name, n->ip, port_});
    return out;
  }

  void start(const NodeSpec& spec) override {
    Node& n = node(spec.name, "start");
    if (spec.argv.empty()) throw BackendError("start " + spec.name + ": empty argv");
    const std::string node_dir = remote_dir_ + "/" + spec.name;
    std::vector<std::string> argv = {upload_binary(n, spec.argv[0])};
    for (std::size_t i = 1; i < spec.argv.size(); ++i) {
      std::error_code ec;
      if (fs::is_regular_file(spec.argv[i], ec)) {
        const std::string remote = node_dir + "/" + fs::path(spec.argv[i]).filename().string();
        n.session->upload(spec.argv[i], remote, false);
        argv.push_back(remote);
      } else {
        argv.push_back(spec.argv[i]);
      }
    }
    std::map<std::string, std::string> env = spec.env;
    env[kRunIdEnv] = run_id_;
    env[kControllerEnv] = manifest_.snapshot().controller.str();
    env["FAULTLINE_NODE"] = spec.name;
    const std::string out = n.session->must_run(
        "starting node " + spec.name,
        sh_start_daemon(run_id_, node_dir, node_data_dir(spec.name, spec.data_dir).string(), env, argv));
    pid_t pid = -1;
    try {
      pid = static_cast<pid_t>(std::stol(process::first_line(out)));
    } catch (const std::exception&) {
      throw BackendError("ssh " + n.session->where() + ": starting node " + spec.name + ": no pid in '" +
                         process::first_line(out) + "'");
    }
    std::lock_guard lock(n.mu);
    n.pid = pid;
    n.spec = spec;
    n.started = true;
  }

  bool running(const std::string& name) override {
    Node& n = node(name, "running");
    const pid_t p = cached_pid(n);
    if (p <= 0) return false;
    auto r = n.session->run(sh_alive_function(run_id_) + "alive " + std::to_string(p), milliseconds(10000));
    if (r.exit_code == 0) return true;
    if (r.exit_code == 1) {
      // Gone: its log now, so the runner's error shows why.
      fetch_logs(n);
      return false;
    }
    throw BackendError("ssh " + n.session->where() + ": is node " + name + " running? " + r.describe());
  }

  void stop(const std::string& name, milliseconds grace) override {
    Node& n = node(name, "stop");
    const pid_t p = cached_pid(n);
    if (p <= 0) return;
    n.session->must_run("stopping node " + name, sh_stop(run_id_, p, grace), grace + milliseconds(10000));
    forget(n);
  }

  void kill(const std::string& name) override { stop(name, milliseconds(0)); }

  void pause(const std::string& name) override { signal_and_wait(name, true); }
  void resume(const std::string& name) override { signal_and_wait(name, false); }

  pid_t pid(const std::string& name) override { return running(name) ? cached_pid(node(name, "pid")) : -1; }
  std::string net_namespace(const std::string& name) const override {
    node(name, "net_namespace");
    return "";
  }

  std::vector<std::string> node_command(const std::string& name, const std::vector<std::string>& argv) const override {
    const Node& n = node(name, "node_command");
    std::vector<std::string> remote = argv;
    // Our own tools run as their uploaded copies on the host.
    if (!remote.empty()) {
      std::lock_guard lock(n.mu);
      if (auto it = n.uploaded.find(remote[0]); it != n.uploaded.end()) remote[0] = it->second;
    }
    return n.session->wrap(remote);
  }

  fs::path node_data_dir(const std::string& name, const fs::path&) const override {
    return remote_dir_ + "/" + name + "/data";
  }

  std::string node_device(const std::string& name) const override {
    const Node& n = node(name, "device");
    return n.device.empty() ? "eth0" : n.device;
  }

  fs::path scratch_dir() const override { return manifest_.dir(); }

  void teardown() override {
    std::lock_guard lock(mu_);
    if (torn_down_) return;
    CleanupReport report;
    // Kill first (so the logs are complete), fetch the logs, then remove.
    const std::string kill_all =
        sh_alive_function(run_id_) + "for f in " + shell_quote(remote_dir_) + "/*/node.pid; do [ -f \"$f\" ] || continue; "
        "p=$(cat \"$f\"); alive $p && { kill -CONT $p; kill -KILL $p; }; done; true";
    std::vector<Node*> reachable;
    for (auto& n : nodes_)
      if (n->session) reachable.push_back(n.get());
    if (!logs_fetched_) {
      logs_fetched_ = true;  // once: a retried teardown finds the remote dir gone
      try {
        parallel(reachable.size(), [&](std::size_t i) {
          reachable[i]->session->run(kill_all, milliseconds(10000));
          fetch_logs(*reachable[i]);
        });
      } catch (const std::exception& e) {
        spdlog::warn("ssh backend {}: teardown: {}", run_id_, e.what());
      }
    }
    // The hosts (through the manifest, as `faultline cleanup` does), then
    // anything of the run's on this machine.
    remove_run(run_id_, manifest_.snapshot(), manifest_.dir(), report);
    for (const auto& e : report.errors) spdlog::warn("ssh backend {}: teardown: {}", run_id_, e);
    if (report.errors.empty()) {
      manifest_.erase();
      torn_down_ = true;
    } else {
      spdlog::warn("ssh backend {}: left for `faultline cleanup --run {}`", run_id_, run_id_);
    }
  }

 private:
  struct Node {
    std::string name, host, ip, device;
    std::unique_ptr<SshSession> session;
    mutable std::mutex mu;  // pid, spec, started, uploaded
    pid_t pid = -1;
    NodeSpec spec;
    bool started = false;
    std::map<std::string, std::string> uploaded;  // local path -> remote path
  };

  Node& node(const std::string& name, const char* what) const {
    for (const auto& n : nodes_)
      if (n->name == name) return *n;
    throw BackendError(std::string(what) + " " + name + ": no such node in run " + run_id_);
  }

  pid_t cached_pid(Node& n) const {
    std::lock_guard lock(n.mu);
    return n.pid;
  }

  void forget(Node& n) {
    fetch_logs(n);
    std::lock_guard lock(n.mu);
    n.pid = -1;
  }

  std::string upload_binary(Node& n, const std::string& local) {
    const std::string remote = remote_dir_ + "/bin/" + fs::path(local).filename().string();
    n.session->upload(local, remote, true);
    std::lock_guard lock(n.mu);
    n.uploaded[local] = remote;
    return remote;
  }

  void signal_and_wait(const std::string& name, bool stop) {
    Node& n = node(name, stop ? "pause" : "resume");
    const pid_t p = cached_pid(n);
    if (p <= 0) throw BackendError((stop ? "pause " : "resume ") + name + ": not running");
    auto r = n.session->run(sh_pause(run_id_, p, stop), milliseconds(10000));
    if (r.exit_code == 3) throw BackendError((stop ? "pause " : "resume ") + name + ": not running");
    if (!r.succeeded()) {
      throw BackendError("ssh " + n.session->where() + ": " + (stop ? "pausing " : "resuming ") + name + ": " +
                         r.describe());
    }
  }

  // output.log into the spec's log path, and the node's own log files from
  // its data dir into the local data dir, where reports look for them.
  void fetch_logs(Node& n) {
    NodeSpec spec;
    {
      std::lock_guard lock(n.mu);
      if (!n.started) return;
      spec = n.spec;
    }
    const std::string dir = remote_dir_ + "/" + n.name;
    if (std::string why = n.session->download(dir + "/output.log", spec.log_path); !why.empty()) {
      spdlog::warn("ssh backend {}: {}", run_id_, why);
    }
    auto list = n.session->run("cd -- " + shell_quote(dir + "/data") + " 2>/dev/null && ls -1 -- *.log 2>/dev/null",
                               milliseconds(10000));
    for (std::size_t pos = 0; list.succeeded() && pos < list.output.size();) {
      const auto end = list.output.find('\n', pos);
      const std::string f = list.output.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      if (!f.empty() && f.find('/') == std::string::npos) {
        if (std::string why = n.session->download(dir + "/data/" + f, spec.data_dir / f); !why.empty()) {
          spdlog::warn("ssh backend {}: {}", run_id_, why);
        }
      }
      if (end == std::string::npos) break;
      pos = end + 1;
    }
  }

  std::string run_id_;
  int port_;
  SshOptions options_;
  std::vector<fs::path> tools_;
  std::mutex mu_;  // create / teardown
  std::vector<std::unique_ptr<Node>> nodes_;
  Manifest manifest_;
  fs::path control_dir_;
  std::string remote_dir_;
  bool created_ = false;
  bool torn_down_ = false;
  bool logs_fetched_ = false;
};

}  // namespace

std::unique_ptr<Backend> make_ssh_backend(const BackendOptions& options) {
  if (!process::find_program("ssh")) {
    throw BackendError("the ssh backend needs the OpenSSH client `ssh` (Debian package openssh-client), not in PATH");
  }
  if (options.ssh.hosts.empty()) throw std::invalid_argument("ssh backend: no hosts (--nodes-file or --node)");
  if (options.port <= 0 || options.port > 65535) throw std::invalid_argument("ssh backend: bad port " + std::to_string(options.port));
  if (options.ssh.port <= 0 || options.ssh.port > 65535) {
    throw std::invalid_argument("--ssh-port " + std::to_string(options.ssh.port) + " is not a port");
  }
  return std::make_unique<SshBackend>(options);
}

}  // namespace faultline::harness
