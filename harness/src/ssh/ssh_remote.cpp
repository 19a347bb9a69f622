#include "ssh/ssh_remote.h"

#include <mutex>
#include <thread>

#include "faultline/nemesis/run_heal.h"
#include "ssh/ssh_session.h"

namespace faultline::harness {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::string ssh_remote_dir(const std::string& run_id) { return "/tmp/faultline-" + run_id; }

std::string sh_alive_function(const std::string& run_id) {
  // /proc/PID/stat's third field is the state; the command name before it
  // may hold spaces, so everything up to the last ") " goes first.
  return "alive() { kill -0 \"$1\" 2>/dev/null || return 1; "
         "[ \"$(sed 's/^.*) //' /proc/$1/stat 2>/dev/null | cut -c1)\" != Z ] || return 1; "
         "tr '\\0' '\\n' < /proc/$1/environ 2>/dev/null | grep -qx " +
         shell_quote("FAULTLINE_RUN_ID=" + run_id) + "; }; ";
}

std::string sh_start_daemon(const std::string& run_id, const std::string& node_dir, const std::string& data_dir,
                            const std::map<std::string, std::string>& env, const std::vector<std::string>& argv) {
  std::vector<std::string> cmd = {"setsid", "nohup", "env"};
  for (const auto& [k, v] : env) cmd.push_back(k + "=" + v);
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  // In a non-interactive sh a background job is not a process group leader,
  // so setsid execs instead of forking and $! is the node's own pid (nohup
  // and env exec too).
  const std::string d = shell_quote(node_dir);
  return sh_alive_function(run_id) + "mkdir -p -- " + d + " " + shell_quote(data_dir) + " && cd -- " + d + " && { " +
         shell_join(cmd) + " >> output.log 2>&1 < /dev/null & p=$!; echo $p > node.pid; " +
         // A node that dies at once (bad config, port taken) is reported by
         // the caller's running(); here only the spawn itself must work.
         "echo $p; }";
}

std::string sh_pause(const std::string& run_id, pid_t pid, bool stop) {
  const std::string p = std::to_string(pid);
  // Every thread's state letter, "T" for stopped; SIGSTOP is asynchronous,
  // so we wait (up to 5 s) until the states say it happened.
  const std::string states = "for t in /proc/" + p + "/task/*/stat; do sed 's/^.*) //' $t 2>/dev/null | cut -c1; done";
  const std::string want = stop ? "[ -z \"$($S | grep -v '^[Tt]$')\" ]" : "[ -z \"$($S | grep '^[Tt]$')\" ]";
  std::string want_expanded = want;
  want_expanded.replace(want_expanded.find("$S"), 2, states);
  return sh_alive_function(run_id) + "alive " + p + " || exit 3; kill -" + (stop ? "STOP " : "CONT ") + p +
         " || exit 1; i=0; while [ $i -lt 500 ]; do " + want_expanded + " && exit 0; sleep 0.01; i=$((i+1)); done; exit 1";
}

std::string sh_stop(const std::string& run_id, pid_t pid, milliseconds grace) {
  const std::string p = std::to_string(pid);
  const long steps = std::max<long>(1, grace.count() / 20);
  return sh_alive_function(run_id) + "alive " + p + " || exit 0; kill -TERM " + p + "; kill -CONT " + p +
         "; i=0; while alive " + p + " && [ $i -lt " + std::to_string(steps) +
         " ]; do sleep 0.02; i=$((i+1)); done; alive " + p + " && kill -KILL " + p + "; i=0; while alive " + p +
         " && [ $i -lt 250 ]; do sleep 0.02; i=$((i+1)); done; ! alive " + p;
}

nlohmann::json ssh_manifest(const SshOptions& o, const fs::path& control_dir, const std::string& remote_dir) {
  nlohmann::json hosts = nlohmann::json::array();
  for (const auto& h : o.hosts) hosts.push_back({{"name", h.name}, {"host", h.host}});
  return {{"user", o.user},
          {"port", o.port},
          {"private_key", o.private_key.string()},
          {"strict_host_key_checking", o.strict_host_key_checking},
          {"control_dir", control_dir.string()},
          {"remote_dir", remote_dir},
          {"hosts", hosts}};
}

SshOptions ssh_options_from_manifest(const nlohmann::json& j) {
  SshOptions o;
  o.user = j.value("user", "root");
  o.port = j.value("port", 22);
  o.private_key = j.value("private_key", "");
  o.strict_host_key_checking = j.value("strict_host_key_checking", false);
  for (const auto& h : j.value("hosts", nlohmann::json::array()))
    o.hosts.push_back({h.value("name", ""), h.value("host", "")});
  return o;
}

void remove_ssh_run(const std::string& run_id, const nlohmann::json& ssh, CleanupReport& report) {
  const SshOptions options = ssh_options_from_manifest(ssh);
  const fs::path control_dir = ssh.value("control_dir", "");
  const std::string dir = ssh.value("remote_dir", ssh_remote_dir(run_id));
  if (dir.rfind("/tmp/faultline-", 0) != 0) {
    report.errors.push_back("run " + run_id + ": manifest names remote dir '" + dir + "', not one of ours; left alone");
    return;
  }
  // The nemesis heals what its faults may have left (paused processes
  // resumed, firewall table or chain, netem qdiscs); then every process
  // with the run's id in its environment (nodes, agents) dies, and the dir goes.
  const std::string script =
      nemesis::host_heal_script(run_id, dir + "/bin/faultline-agent") + "; " +
      "for p in $(grep -lzx " + shell_quote("FAULTLINE_RUN_ID=" + run_id) +
      " /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do [ \"$p\" = $$ ] && continue; "
      "kill -KILL $p 2>/dev/null && echo killed pid $p; done; "
      "rm -rf -- " + shell_quote(dir) + " && echo removed dir; [ ! -e " + shell_quote(dir) + " ]";
  std::mutex mu;
  std::vector<std::thread> threads;
  for (const auto& h : options.hosts) {
    threads.emplace_back([&, h] {
      SshSession session(options, h.host, control_dir);
      auto r = session.run(script, milliseconds(20000));
      std::lock_guard lock(mu);
      if (!r.succeeded()) {
        report.errors.push_back("run " + run_id + ": host " + h.host + " (" + h.name + "): " + r.describe());
        return;
      }
      for (std::size_t pos = 0; pos < r.output.size();) {
        const auto end = r.output.find('\n', pos);
        const std::string line = r.output.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        if (!line.empty()) report.removed.push_back("host " + h.host + ": " + line + (line == "removed dir" ? " " + dir : ""));
        if (end == std::string::npos) break;
        pos = end + 1;
      }
    });
  }
  for (auto& t : threads) t.join();
  // The masters last: the removal above went over them.
  for (const auto& h : options.hosts) {
    SshSession(options, h.host, control_dir).close();
  }
}

}  // namespace faultline::harness
