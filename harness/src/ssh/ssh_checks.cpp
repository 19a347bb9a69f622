#include "ssh/ssh_checks.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "faultline/process/command.h"
#include "ssh/ssh_session.h"

namespace faultline::harness {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

std::string this_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  in >> id;
  return id;
}

bool has_fault(const RunConfig& c, const char* fault) {
  return std::find(c.nemesis.begin(), c.nemesis.end(), fault) != c.nemesis.end();
}

}  // namespace

std::string validate_ssh_hosts(RunConfig& c) {
  if (!c.nodes_file.empty() && !c.node_hosts.empty()) return "--nodes-file and --node: give one or the other";
  if (c.nodes_file.empty() && c.node_hosts.empty()) {
    return "--backend ssh needs hosts: --nodes-file FILE (one `host` or `name host` per line) or --node HOST (repeat)";
  }
  try {
    c.ssh_hosts = c.nodes_file.empty() ? parse_node_flags(c.node_hosts) : read_nodes_file(c.nodes_file);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  c.nodes = static_cast<int>(c.ssh_hosts.size());
  if (c.ssh_port <= 0 || c.ssh_port > 65535) return "--ssh-port " + std::to_string(c.ssh_port) + " is not a port";
  if (c.ssh_user.empty() || c.ssh_user.front() == '-' ||
      c.ssh_user.find_first_of(" \t\n'\"\\$`;&|<>") != std::string::npos) {
    return "--username '" + c.ssh_user + "' is not a user name";
  }
  if (!c.ssh_private_key.empty()) {
    // Absolute: the manifest keeps it for a `faultline cleanup` run elsewhere.
    std::error_code ec;
    c.ssh_private_key = fs::absolute(c.ssh_private_key, ec);
    std::ifstream key(c.ssh_private_key);
    if (!key) return "--ssh-private-key " + c.ssh_private_key.string() + ": cannot be read";
    std::string first;
    std::getline(key, first);
    if (first.find("PRIVATE KEY") == std::string::npos) {
      return "--ssh-private-key " + c.ssh_private_key.string() + ": not a private key (no PRIVATE KEY header)";
    }
  }
  if (!process::find_program("ssh")) return "--backend ssh needs the OpenSSH client `ssh` (Debian package openssh-client)";
  return "";
}

std::string probe_ssh_hosts(const RunConfig& c) {
  SshOptions options;
  options.user = c.ssh_user;
  options.port = c.ssh_port;
  options.private_key = c.ssh_private_key;
  options.strict_host_key_checking = c.strict_host_key_checking;
  // A scratch known_hosts (accept-new) for the probe; the run keeps its own.
  char tmpl[] = "/tmp/flsshprobe-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return "cannot make a temporary directory for the ssh probe";
  const fs::path scratch = tmpl;
  const bool clock = has_fault(c, "clock");
  const bool partition = has_fault(c, "partition");
  const std::string ours = this_boot_id();
  std::vector<std::string> errors(c.ssh_hosts.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < c.ssh_hosts.size(); ++i) {
    threads.emplace_back([&, i] {
      const SshHost& h = c.ssh_hosts[i];
      SshSession session(options, h.host, scratch);
      const std::string script =
          "cat /proc/sys/kernel/random/boot_id; "
          "if command -v nft >/dev/null 2>&1 || command -v iptables >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || "
          "[ -x /usr/sbin/iptables ]; then echo firewall=yes; else echo firewall=no; fi";
      auto r = session.run(script, milliseconds(15000));
      const std::string who = "host " + h.host + " (" + h.name + ", " + session.where() + ")";
      if (!r.succeeded()) {
        errors[i] = who + ": " + (r.timed_out ? "no answer within 15 s" : r.describe());
        return;
      }
      const std::string boot_id = process::first_line(r.output);
      if (partition && r.output.find("firewall=yes") == std::string::npos) {
        errors[i] = who + ": --nemesis partition needs nft or iptables on the host (Debian packages nftables, iptables)";
      } else if (clock && !ours.empty() && boot_id == ours) {
        errors[i] = who + ": --nemesis clock over ssh steps the hosts' wall clocks, and this host shares this machine's "
                    "clock (same kernel boot_id " + ours + ": a namespace or container of this machine); refusing to "
                    "step the controller's own clock";
      }
    });
  }
  for (auto& t : threads) t.join();
  std::error_code ec;
  fs::remove_all(scratch, ec);
  for (const auto& e : errors)
    if (!e.empty()) return e;
  return "";
}

}  // namespace faultline::harness
