// The firewall side of partitions: the commands that make one node drop
// packets from a set of source addresses, and undo it. nftables when the
// `nft` tool exists (one table of our own, so healing is deleting it and
// never touches anyone else's rules), iptables otherwise (one chain of our
// own, jumped to from INPUT).
//
// Rules match the source address in the input hook only: a node drops what
// it receives from the nodes it holds a grudge against, so one-way
// partitions fall out naturally. Traffic from addresses not named (the
// controller's clients) is untouched.
#ifndef FAULTLINE_NEMESIS_FIREWALL_H_
#define FAULTLINE_NEMESIS_FIREWALL_H_

#include <string>
#include <vector>

namespace faultline::nemesis {

enum class FirewallTool { nft, iptables };

// nft when found on this machine, else iptables.
FirewallTool detect_firewall_tool();

// argv for: drop IPv4 packets from `sources` (at least one; validated as
// dotted quads, std::invalid_argument otherwise). Replaces earlier drops.
std::vector<std::vector<std::string>> drop_commands(FirewallTool tool, const std::vector<std::string>& sources);
// argv for: remove every drop of ours; succeeds when there is none.
std::vector<std::vector<std::string>> heal_commands(FirewallTool tool);

inline constexpr const char* kFirewallTable = "faultline_partition";

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_FIREWALL_H_
