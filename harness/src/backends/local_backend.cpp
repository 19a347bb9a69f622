// The local backend: plain processes on loopback ports, for users without
// root. No network of its own, so no network faults; kills, pauses and
// restarts work as with netns.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <spdlog/spdlog.h>

#include "backends/backends.h"
#include "backends/manifest.h"
#include "backends/node_processes.h"
#include "backends/run_removal.h"

namespace faultline::harness {
namespace {

constexpr std::size_t kMaxLocalNodes = 1000;

// Ports the kernel calls free right now: all bound at once (so they differ),
// then released for the nodes. Another program may grab one in between; the
// node then fails to bind, says so in its log, and the runner sees it exit.
std::vector<int> free_loopback_ports(std::size_t n) {
  std::vector<int> fds, ports;
  auto close_all = [&] {
    for (int fd : fds) ::close(fd);
  };
  for (std::size_t i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      close_all();
      throw BackendError(std::string("picking free loopback ports: socket: ") + std::strerror(errno));
    }
    fds.push_back(fd);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      const int err = errno;
      close_all();
      throw BackendError(std::string("picking free loopback ports: bind: ") + std::strerror(err));
    }
    ports.push_back(ntohs(a.sin_port));
  }
  close_all();
  return ports;
}

class LocalBackend final : public Backend {
 public:
  explicit LocalBackend(const BackendOptions& options)
      : run_id_(options.run_id),
        manifest_(options.state_dir.empty() ? default_state_dir() : options.state_dir, options.run_id, "local"),
        processes_(manifest_, options.run_id) {}

  ~LocalBackend() override { teardown(); }

  std::string kind() const override { return "local"; }
  const std::string& run_id() const override { return run_id_; }
  bool supports_network_faults() const override { return false; }

  std::vector<NodeAddress> create(const std::vector<std::string>& node_names) override {
    check_node_names(node_names, kMaxLocalNodes);
    std::lock_guard lock(mu_);
    if (!nodes_.empty()) throw BackendError("run " + run_id_ + ": create() called twice");
    const std::vector<int> ports = free_loopback_ports(node_names.size());
    std::vector<NodeAddress> addresses;
    for (std::size_t i = 0; i < node_names.size(); ++i) {
      addresses.push_back({node_names[i], "127.0.0.1", ports[i]});
      nodes_.insert(node_names[i]);
    }
    return addresses;
  }

  void start(const NodeSpec& spec) override {
    check_known(spec.name, "start");
    processes_.start(spec, {});
  }
  bool running(const std::string& node) override { return processes_.running(node); }
  void stop(const std::string& node, std::chrono::milliseconds grace) override {
    check_known(node, "stop");
    processes_.stop(node, grace);
  }
  void kill(const std::string& node) override {
    check_known(node, "kill");
    processes_.kill(node);
  }
  void pause(const std::string& node) override { processes_.pause(node); }
  void resume(const std::string& node) override { processes_.resume(node); }
  pid_t pid(const std::string& node) override { return processes_.pid(node); }
  std::string net_namespace(const std::string& node) const override {
    check_known(node, "net_namespace");
    return "";
  }

  std::filesystem::path scratch_dir() const override { return manifest_.dir(); }

  void teardown() override {
    std::lock_guard lock(teardown_mu_);
    if (torn_down_) return;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      processes_.stop_all(std::chrono::milliseconds(1000));
    } catch (const std::exception& e) {
      spdlog::warn("local backend {}: stopping nodes: {}", run_id_, e.what());
    }
    const auto t1 = std::chrono::steady_clock::now();
    CleanupReport report;
    remove_run(run_id_, manifest_.snapshot(), manifest_.dir(), report);
    auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
    spdlog::debug("local backend {}: teardown: nodes stopped in {} ms, objects removed in {} ms", run_id_, ms(t1 - t0),
                  ms(std::chrono::steady_clock::now() - t1));
    for (const auto& e : report.errors) spdlog::warn("local backend {}: teardown: {}", run_id_, e);
    if (report.errors.empty()) {
      manifest_.erase();
      torn_down_ = true;
    }
  }

 private:
  void check_known(const std::string& node, const char* what) const {
    std::lock_guard lock(mu_);
    if (!nodes_.count(node)) throw BackendError(std::string(what) + " " + node + ": no such node in run " + run_id_);
  }

  std::string run_id_;
  mutable std::mutex mu_;
  std::mutex teardown_mu_;
  std::set<std::string> nodes_;
  Manifest manifest_;
  NodeProcesses processes_;
  bool torn_down_ = false;
};

}  // namespace

std::unique_ptr<Backend> make_local_backend(const BackendOptions& options) {
  return std::make_unique<LocalBackend>(options);
}

}  // namespace faultline::harness
