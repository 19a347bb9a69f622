// Healing every fault a dead run may have left open. A controller killed in
// the middle of a window leaves its faults behind: paused nodes, firewall
// drops, netem qdiscs. `faultline cleanup` (and a backend's teardown) asks the
// nemesis to heal them here, by what the run tagged, instead of re-spelling
// each fault's undo.
//
// What belongs to run R: processes whose environment holds
// FAULTLINE_RUN_ID=R (the backends start every node and agent so), freezer
// cgroups named with the run's prefix, our firewall table or chain (one per
// host, so a host runs one run's partitions at a time), and netem qdiscs on
// the host's devices (a root qdisc without netem is the owner's, not ours).
#ifndef FAULTLINE_NEMESIS_RUN_HEAL_H_
#define FAULTLINE_NEMESIS_RUN_HEAL_H_

#include <string>
#include <vector>

namespace faultline::nemesis {

// POSIX sh, run as root on a remote host: SIGCONT to the run's processes, our
// firewall table (nft) or chain (iptables) removed, netem cleared through
// the agent at `agent_path` when it is there. Prints one line per thing
// removed ("removed nft table", "cleared netem on eth0"; resumed processes
// are not listed, the caller kills them next); every step tolerates finding
// nothing. Ends with status 0.
std::string host_heal_script(const std::string& run_id, const std::string& agent_path);

// This machine: the run's freezer groups (named from `group_prefix`) thawed,
// their processes moved out and the groups removed, so a paused node dies of
// the SIGKILL that follows. One line per group removed; errors appended.
std::vector<std::string> heal_local_run(const std::string& group_prefix, std::vector<std::string>* errors);

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_RUN_HEAL_H_
