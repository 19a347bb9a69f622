// `faultline run --backend ssh`: the checks made before a run starts, so bad
// hosts, keys or fault combinations exit 254 with a reason naming the host
// or flag, instead of failing half-way through a run.
//
// Private to harness/.
#ifndef FAULTLINE_HARNESS_SSH_CHECKS_H_
#define FAULTLINE_HARNESS_SSH_CHECKS_H_

#include <string>

#include "faultline/harness/runner.h"

namespace faultline::harness {

// Reads --nodes-file / --node into config.ssh_hosts, sets config.nodes to
// their count, checks the key file and ports. Returns "" or the reason.
std::string validate_ssh_hosts(RunConfig& config);

// Connects to every host (in parallel, each bounded by ConnectTimeout) and
// checks what the run will need there: a login, a shell, the firewall tools
// for partitions, and for clock faults a clock of its own: a host whose
// /proc/sys/kernel/random/boot_id equals this machine's shares our kernel and
// so our wall clock, which a clock fault must never step. Returns "" or the
// reason, naming the host.
std::string probe_ssh_hosts(const RunConfig& config);

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_SSH_CHECKS_H_
