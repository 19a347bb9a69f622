// Thin wrappers around iproute2's `ip` for the netns backend and cleanup:
// every call has a timeout and its output captured (process::run_command), and
// the listings use `ip -j` so we parse JSON, not columns.
//
// All of these act on the controller's (root) network namespace, or on a
// named one through `ip -n`/`ip netns`, which does the setns() in the `ip`
// child: no controller thread ever changes namespace.
//
// Private to harness/.
#ifndef FAULTLINE_HARNESS_IP_TOOL_H_
#define FAULTLINE_HARNESS_IP_TOOL_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "faultline/process/command.h"

namespace faultline::harness {

process::CommandResult run_ip(const std::vector<std::string>& args,
                              std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
// Throws BackendError("<what>: ip <args>: <output>") unless `ip` succeeded.
void must_ip(const std::string& what, const std::vector<std::string>& args);

// Runs many commands in one `ip [-n netns] [-force] -batch FILE` (FILE is a
// temp file in `scratch_dir`, removed after): one process instead of one per
// command, which is most of the cost of create() and teardown() on a loaded
// machine. Without `force` it stops at the first failing line.
process::CommandResult run_ip_batch(const std::vector<std::string>& lines, const std::filesystem::path& scratch_dir,
                                    const std::string& netns = "", bool force = false);
// Throws BackendError("<what>: `<failing line>` failed: <output>") unless the batch succeeded.
void must_ip_batch(const std::string& what, const std::vector<std::string>& lines,
                   const std::filesystem::path& scratch_dir, const std::string& netns = "");

// Named network namespaces (the entries of /run/netns).
std::vector<std::string> list_netns();
// Pids of the processes inside a named namespace (what `ip netns pids` does:
// every /proc/<pid>/ns/net that is the same namespace as /run/netns/<ns>).
std::vector<pid_t> netns_pids(const std::string& ns);

struct LinkInfo {
  std::string name;
  std::string kind;    // "bridge", "veth", ... ("" when plain)
  std::string master;  // bridge it is enslaved to
  std::string alias;   // ifalias
};
std::vector<LinkInfo> list_links();

// An IPv4 network: address and prefix length, host byte order.
struct Ipv4Net {
  std::uint32_t addr = 0;
  int len = 0;
  bool overlaps(const Ipv4Net& other) const;
  std::string str() const;  // "10.1.2.0/24"
};
std::string ipv4_str(std::uint32_t addr);
// Every IPv4 network configured in the root namespace: interface addresses
// (with their prefix) and routes of the main table (except the default route).
std::vector<Ipv4Net> ipv4_networks_in_use();

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_IP_TOOL_H_
