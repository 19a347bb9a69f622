// What the ssh backend does on a host, as shell command lines (POSIX sh,
// coreutils and procps only, so a stock Debian host needs nothing of ours),
// and the removal of a run from its hosts that teardown() and `faultline
// cleanup` share.
//
// Private to harness/.
#ifndef FAULTLINE_HARNESS_SSH_REMOTE_H_
#define FAULTLINE_HARNESS_SSH_REMOTE_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/harness/backend.h"

namespace faultline::harness {

// /tmp/faultline-<run>: everything the run puts on a host lives under it.
std::string ssh_remote_dir(const std::string& run_id);

// Defines `alive PID`: true while PID exists, is not a zombie, and carries
// FAULTLINE_RUN_ID=<run> in its environment (so a recycled pid is never
// taken for a node).
std::string sh_alive_function(const std::string& run_id);

// Starts `argv` as a daemon in `node_dir` (setsid, nohup, stdin from
// /dev/null, stdout and stderr appended to output.log), writes node.pid and
// prints the pid. `env` is set for it alone.
std::string sh_start_daemon(const std::string& run_id, const std::string& node_dir, const std::string& data_dir,
                            const std::map<std::string, std::string>& env, const std::vector<std::string>& argv);

// Signals PID and waits (bounded) until every thread shows the state asked:
// pause -> all stopped, resume -> none stopped. Exit 0 when reached.
std::string sh_pause(const std::string& run_id, pid_t pid, bool stop);
// SIGTERM (and SIGCONT), SIGKILL after `grace`, then waits until it is gone.
std::string sh_stop(const std::string& run_id, pid_t pid, std::chrono::milliseconds grace);

// The manifest's "ssh" object for a run and its reading back.
nlohmann::json ssh_manifest(const SshOptions& options, const std::filesystem::path& control_dir,
                            const std::string& remote_dir);
SshOptions ssh_options_from_manifest(const nlohmann::json& ssh);

// Removes `run_id` from every host the manifest's "ssh" object names: kills
// every process carrying the run's id (nodes, agents), removes our firewall
// table/chain, clears the netem qdiscs our agent put on, deletes the run's
// directory, and closes the multiplexing masters. Appends what went and what
// could not to `report`. Idempotent.
void remove_ssh_run(const std::string& run_id, const nlohmann::json& ssh, CleanupReport& report);

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_SSH_REMOTE_H_
