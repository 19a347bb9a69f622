// The netns backend: one network namespace per node, joined by veth pairs to
// a bridge in the root namespace, on a private /24 that exists only on this
// machine (the bridge holds .254 so the controller reaches every node; the
// node namespaces have no default route and nothing forwards or NATs, so no
// packet of theirs can leave the machine).
//
// Nodes start as `ip netns exec <ns> <argv...>`: `ip` setns()es in the child
// and execs the node (it forks only in batch mode), so the pid Boost.Process
// hands us is the node's own, and no controller thread ever changes namespace.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <spdlog/spdlog.h>
#include <thread>

#include "backends/backends.h"
#include "backends/ip_tool.h"
#include "backends/manifest.h"
#include "backends/node_processes.h"
#include "backends/run_removal.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

constexpr int kBridgeHost = 254;
constexpr std::size_t kMaxNetnsNodes = 253;  // .1 - .253

// Holds an exclusive flock on a machine-wide file while a run picks its
// subnet and puts the address on its bridge, so two runs starting at once
// never pick the same /24.
class SubnetLock {
 public:
  SubnetLock() {
    std::error_code ec;
    fs::create_directories(claims_dir(), ec);
    const fs::path path = claims_dir() / ".subnet.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw BackendError("cannot open the subnet lock " + path.string() + ": " + std::strerror(errno));
    ::flock(fd_, LOCK_EX);
  }
  ~SubnetLock() { ::close(fd_); }  // closing releases the lock
  SubnetLock(const SubnetLock&) = delete;
  SubnetLock& operator=(const SubnetLock&) = delete;

 private:
  int fd_ = -1;
};

std::uint32_t fnv1a(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

// 10.x.y.0/24 with x in 1..254, starting from a hash of the run id and
// stepping on past every /24 some interface or route of this machine uses.
Ipv4Net pick_subnet(const std::string& run_id) {
  const std::vector<Ipv4Net> used = ipv4_networks_in_use();
  constexpr std::uint32_t kSlots = 254u * 256u;
  const std::uint32_t first = fnv1a(run_id) % kSlots;
  for (std::uint32_t k = 0; k < kSlots; ++k) {
    const std::uint32_t slot = (first + k) % kSlots;
    Ipv4Net candidate{(10u << 24) | ((1 + slot / 256) << 16) | ((slot % 256) << 8), 24};
    const bool taken = std::any_of(used.begin(), used.end(), [&](const Ipv4Net& n) { return n.overlaps(candidate); });
    if (!taken) return candidate;
  }
  throw BackendError("run " + run_id + ": no free 10.x.y.0/24 on this machine");
}

// With br_netfilter loaded and bridge-nf-call-iptables on, frames crossing
// our bridge go through the host's iptables FORWARD chain; where its policy is
// DROP (Docker sets that), the controller still reaches every node (INPUT and
// OUTPUT) but the nodes cannot reach each other. We do not touch the host's
// firewall; we say so, once per run, so the odd failure has a name.
void warn_if_bridge_traffic_is_filtered(const std::string& run_id, const std::string& bridge) {
  std::ifstream in("/proc/sys/net/bridge/bridge-nf-call-iptables");
  std::string value;
  if (!(in >> value) || value != "1") return;
  auto r = process::run_command({"iptables", "-S", "FORWARD"}, {.timeout = std::chrono::milliseconds(3000)});
  if (!r.succeeded() || r.output.find("-P FORWARD DROP") == std::string::npos) return;
  spdlog::warn(
      "netns backend {}: br_netfilter sends bridged traffic through iptables FORWARD, whose policy is DROP here: "
      "nodes on {} may not reach each other (allow it with e.g. `iptables -I FORWARD -i {} -o {} -j ACCEPT`)",
      run_id, bridge, bridge, bridge);
}

// The kernel keeps one ARP table for every network namespace together, and
// its hard limit (net.ipv4.neigh.default.gc_thresh3, 1024 by default) counts
// them all. Nodes that talk to every peer (SWIM probes, push-pull) need about
// n * (n + 1) entries: at 50 nodes 2,550, far past the default. Past the limit
// new neighbours are not resolved ("neighbour: arp_cache: neighbor table
// overflow!") and connections hang in SYN-SENT, which looked like nodes
// wedging at 40-50 nodes. The limits exist only in the root namespace, so a
// run that needs more raises them (never lowers them, never restores them:
// another run may be relying on them) and says so.
void ensure_neighbour_capacity(const std::string& run_id, std::size_t nodes) {
  const std::string dir = "/proc/sys/net/ipv4/neigh/default/";
  auto read_value = [&](const std::string& name) -> long {
    std::ifstream in(dir + name);
    long v = -1;
    in >> v;
    return v;
  };
  long in_use = 0;
  {
    std::ifstream stat("/proc/net/stat/arp_cache");
    std::string header, entries;
    if (std::getline(stat, header) && stat >> entries) in_use = std::strtol(entries.c_str(), nullptr, 16);
  }
  const long needed = in_use + static_cast<long>(nodes * (nodes + 1)) + 256;
  const long thresh2 = read_value("gc_thresh2"), thresh3 = read_value("gc_thresh3");
  if (thresh3 < 0 || thresh3 >= 2 * needed) return;
  std::string changed;
  auto raise = [&](const std::string& name, long from, long to) {
    if (from >= to) return;
    std::ofstream out(dir + name);
    out << to;
    out.flush();
    if (!out) {
      spdlog::warn("netns backend {}: cannot raise {}{} from {} to {} for {} nodes: connections may hang once the "
                   "kernel's neighbour table is full", run_id, dir, name, from, to, nodes);
      return;
    }
    changed += (changed.empty() ? "" : ", ") + name + " " + std::to_string(from) + " -> " + std::to_string(to);
  };
  raise("gc_thresh2", thresh2, needed);
  raise("gc_thresh3", thresh3, 2 * needed);
  if (!changed.empty())
    spdlog::warn("netns backend {}: raised the kernel's neighbour table limits (net.ipv4.neigh.default.{}): {} "
                 "nodes need about {} entries across their namespaces",
                 run_id, changed, nodes, nodes * (nodes + 1));
}

class NetnsBackend final : public Backend {
 public:
  explicit NetnsBackend(const BackendOptions& options)
      : run_id_(options.run_id),
        port_(options.port),
        manifest_(options.state_dir.empty() ? default_state_dir() : options.state_dir, options.run_id, "netns"),
        processes_(manifest_, options.run_id) {}

  ~NetnsBackend() override { teardown(); }

  std::string kind() const override { return "netns"; }
  const std::string& run_id() const override { return run_id_; }
  bool supports_network_faults() const override { return true; }

  std::vector<NodeAddress> create(const std::vector<std::string>& node_names) override {
    check_node_names(node_names, kMaxNetnsNodes);
    std::lock_guard lock(mu_);
    if (created_) throw BackendError("run " + run_id_ + ": create() called twice");
    created_ = true;
    const std::string bridge = bridge_name(run_id_);
    std::vector<ManifestObject> objects{{"bridge", bridge, {}}};
    for (std::size_t i = 0; i < node_names.size(); ++i) {
      objects.push_back({"netns", netns_name(run_id_, node_names[i]), {}});
      objects.push_back({"veth", veth_name(run_id_, static_cast<int>(i + 1)), {}});
      std::lock_guard names_lock(names_mu_);
      nodes_[node_names[i]] = netns_name(run_id_, node_names[i]);
    }
    // Everything goes in the root namespace in one `ip -batch`: the bridge
    // (labelled with the run and its controller, so a cleanup that finds it
    // without a manifest knows whose it is), then per node a namespace and a
    // veth pair whose peer is born inside it as eth0.
    std::vector<std::string> root;
    Ipv4Net subnet;
    {
      SubnetLock subnet_lock;
      subnet = pick_subnet(run_id_);
      manifest_.set_subnet(subnet.str());
      manifest_.add_all(objects);
      root = {"link add " + bridge + " type bridge",
              "link set " + bridge + " alias " + bridge_alias(run_id_, manifest_.snapshot().controller),
              "addr add " + ipv4_str(subnet.addr | kBridgeHost) + "/24 dev " + bridge, "link set " + bridge + " up"};
      for (std::size_t i = 0; i < node_names.size(); ++i) {
        const std::string ns = netns_name(run_id_, node_names[i]);
        const std::string veth = veth_name(run_id_, static_cast<int>(i + 1));
        root.push_back("netns add " + ns);
        root.push_back("link add " + veth + " type veth peer name eth0 netns " + ns);
        root.push_back("link set " + veth + " master " + bridge + " up");
      }
      must_ip_batch("run " + run_id_ + ": create bridge, namespaces and veths", root, manifest_.dir());
    }
    subnet_ = subnet;
    warn_if_bridge_traffic_is_filtered(run_id_, bridge);
    ensure_neighbour_capacity(run_id_, node_names.size());

    // Inside each namespace: its address and links up, one `ip -n NS -batch`
    // per node; independent of each other, so a few threads shorten create().
    std::vector<std::string> errors(node_names.size());
    std::vector<std::thread> workers;
    const std::size_t n_workers = std::min<std::size_t>(4, node_names.size());
    std::atomic<std::size_t> next{0};
    for (std::size_t w = 0; w < n_workers; ++w) {
      workers.emplace_back([&] {
        for (std::size_t i; (i = next++) < node_names.size();) {
          const std::string ns = netns_name(run_id_, node_names[i]);
          const std::string address = ipv4_str(subnet.addr | static_cast<std::uint32_t>(i + 1)) + "/24";
          try {
            must_ip_batch("node " + node_names[i] + ": configure " + ns,
                          {"addr add " + address + " dev eth0", "link set eth0 up", "link set lo up"},
                          manifest_.dir(), ns);
          } catch (const std::exception& e) {
            errors[i] = e.what();
          }
        }
      });
    }
    for (auto& t : workers) t.join();
    for (const auto& e : errors)
      if (!e.empty()) throw BackendError(e);

    std::vector<NodeAddress> addresses;
    for (std::size_t i = 0; i < node_names.size(); ++i) {
      addresses.push_back({node_names[i], ipv4_str(subnet.addr | static_cast<std::uint32_t>(i + 1)), port_});
    }
    return addresses;
  }

  void start(const NodeSpec& spec) override {
    processes_.start(spec, {"ip", "netns", "exec", namespace_of(spec.name, "start")});
  }
  bool running(const std::string& node) override { return processes_.running(node); }
  void stop(const std::string& node, std::chrono::milliseconds grace) override {
    namespace_of(node, "stop");
    processes_.stop(node, grace);
  }
  void kill(const std::string& node) override {
    namespace_of(node, "kill");
    processes_.kill(node);
  }
  void pause(const std::string& node) override { processes_.pause(node); }
  void resume(const std::string& node) override { processes_.resume(node); }
  pid_t pid(const std::string& node) override { return processes_.pid(node); }
  std::string net_namespace(const std::string& node) const override { return namespace_of(node, "net_namespace"); }

  std::filesystem::path scratch_dir() const override { return manifest_.dir(); }

  void teardown() override {
    std::lock_guard lock(mu_);
    if (torn_down_) return;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      processes_.stop_all(std::chrono::milliseconds(1000));
    } catch (const std::exception& e) {
      spdlog::warn("netns backend {}: stopping nodes: {}", run_id_, e.what());
    }
    const auto t1 = std::chrono::steady_clock::now();
    CleanupReport report;
    remove_run(run_id_, manifest_.snapshot(), manifest_.dir(), report);
    auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
    spdlog::debug("netns backend {}: teardown: nodes stopped in {} ms, objects removed in {} ms", run_id_, ms(t1 - t0),
                  ms(std::chrono::steady_clock::now() - t1));
    for (const auto& e : report.errors) spdlog::warn("netns backend {}: teardown: {}", run_id_, e);
    if (report.errors.empty()) {
      manifest_.erase();
      torn_down_ = true;
    } else {
      spdlog::warn("netns backend {}: left for `faultline cleanup --run {}`", run_id_, run_id_);
    }
  }

 private:
  const std::string& namespace_of(const std::string& node, const char* what) const {
    std::lock_guard lock(names_mu_);
    auto it = nodes_.find(node);
    if (it == nodes_.end()) throw BackendError(std::string(what) + " " + node + ": no such node in run " + run_id_);
    return it->second;
  }

  std::string run_id_;
  int port_;
  std::mutex mu_;                  // create / teardown
  mutable std::mutex names_mu_;    // nodes_
  std::map<std::string, std::string> nodes_;  // node -> namespace
  Ipv4Net subnet_;
  Manifest manifest_;
  NodeProcesses processes_;
  bool created_ = false;
  bool torn_down_ = false;
};

}  // namespace

std::unique_ptr<Backend> make_netns_backend(const BackendOptions& options) {
  if (::geteuid() != 0) {
    throw BackendError("the netns backend needs root (it creates network namespaces, veths and a bridge); "
                       "run as root or use --backend local");
  }
  if (!process::find_program("ip")) throw BackendError("the netns backend needs iproute2's `ip`, not found in PATH");
  if (options.port <= 0 || options.port > 65535) {
    throw std::invalid_argument("netns backend: bad port " + std::to_string(options.port));
  }
  return std::make_unique<NetnsBackend>(options);
}

}  // namespace faultline::harness
