#include "firewall.h"

#include <arpa/inet.h>

#include <stdexcept>

#include "faultline/process/command.h"

namespace faultline::nemesis {
using process::find_program;

FirewallTool detect_firewall_tool() { return find_program("nft") ? FirewallTool::nft : FirewallTool::iptables; }

namespace {
void check_ipv4(const std::string& ip) {
  in_addr addr{};
  if (::inet_pton(AF_INET, ip.c_str(), &addr) != 1) {
    throw std::invalid_argument("'" + ip + "' is not an IPv4 address");
  }
}
}  // namespace

std::vector<std::vector<std::string>> heal_commands(FirewallTool tool) {
  const std::string t = kFirewallTable;
  if (tool == FirewallTool::nft) {
    // Adding first makes the delete succeed whether or not the table existed,
    // in one transaction.
    return {{"nft", "add table inet " + t + "; delete table inet " + t}};
  }
  // Each step fails harmlessly when there is nothing to remove.
  return {{"sh", "-c",
           "iptables -w -D INPUT -j " + t + " 2>/dev/null; iptables -w -F " + t + " 2>/dev/null; iptables -w -X " + t +
               " 2>/dev/null; true"}};
}

std::vector<std::vector<std::string>> drop_commands(FirewallTool tool, const std::vector<std::string>& sources) {
  if (sources.empty()) throw std::invalid_argument("a drop rule needs at least one source address");
  for (const auto& s : sources) check_ipv4(s);
  std::string set;
  for (const auto& s : sources) set += (set.empty() ? "" : ", ") + s;
  const std::string t = kFirewallTable;
  if (tool == FirewallTool::nft) {
    // One transaction: replace whatever drops were there with these (one
    // process per node matters on a loaded machine: each nft start costs).
    return {{"nft", heal_commands(tool)[0][1] + "; add table inet " + t + "; add chain inet " + t +
                        " input { type filter hook input priority -10; policy accept; }; add rule inet " + t +
                        " input ip saddr { " + set + " } drop"}};
  }
  std::vector<std::vector<std::string>> out = heal_commands(tool);
  std::string script = "iptables -w -N " + t + " && iptables -w -I INPUT 1 -j " + t;
  for (const auto& s : sources) script += " && iptables -w -A " + t + " -s " + s + " -j DROP";
  out.push_back({"sh", "-c", script});
  return out;
}

}  // namespace faultline::nemesis
