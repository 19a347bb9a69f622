#include "ssh/ssh_session.h"

#include <unistd.h>

#include <string_view>

namespace faultline::harness {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::string file_sha256(const fs::path& path) {
  auto r = process::run_command({"sha256sum", "--", path.string()}, {.timeout = milliseconds(30000)});
  if (!r.succeeded()) throw BackendError("cannot checksum " + path.string() + ": " + r.describe());
  return r.output.substr(0, r.output.find(' '));
}

SshSession::SshSession(const SshOptions& options, std::string host, fs::path control_dir)
    : options_(options), host_(std::move(host)), control_dir_(std::move(control_dir)) {}

std::string SshSession::where() const { return options_.user + "@" + host_ + ":" + std::to_string(options_.port); }

std::vector<std::string> SshSession::base_argv() const {
  std::vector<std::string> argv = {
      "ssh", "-p", std::to_string(options_.port), "-l", options_.user,
      // Never a prompt: a missing key or an unknown host is an error at once.
      "-o", "BatchMode=yes", "-o", "ConnectTimeout=" + std::to_string(options_.connect_timeout.count()),
      // A host that stops answering mid-run (frozen VM, cable) ends the call
      // after ~6 s instead of the TCP timeout.
      "-o", "ServerAliveInterval=2", "-o", "ServerAliveCountMax=3",
      // Commands never become masters: a master outlives its command and
      // would keep the command's output pipe open (run_command would wait
      // for it). open() starts the one master; without it ssh connects anew.
      "-o", "ControlMaster=no", "-o", "ControlPath=" + (control_dir_ / "%C").string(),
      "-o", "LogLevel=ERROR", "-T"};
  if (!options_.private_key.empty()) {
    // Only this key: ssh would otherwise offer every key of the agent and
    // ~/.ssh first, and a server with MaxAuthTries refuses before ours.
    argv.insert(argv.end(), {"-i", options_.private_key.string(), "-o", "IdentitiesOnly=yes"});
  }
  if (options_.strict_host_key_checking) {
    argv.insert(argv.end(), {"-o", "StrictHostKeyChecking=yes"});
  } else {
    argv.insert(argv.end(), {"-o", "StrictHostKeyChecking=accept-new", "-o",
                             "UserKnownHostsFile=" + (control_dir_ / "known_hosts").string()});
  }
  return argv;
}

std::vector<std::string> SshSession::command(const std::string& remote_command) const {
  std::vector<std::string> argv = base_argv();
  argv.push_back("--");
  argv.push_back(host_);
  // Firewall rules, qdiscs, clocks and other users' processes need root: a
  // non-root login (Vagrant's `vagrant`) runs everything through
  // passwordless sudo, as Jepsen does; -n fails at once instead of prompting.
  argv.push_back(options_.user == "root" ? remote_command : "sudo -n sh -c " + shell_quote(remote_command));
  return argv;
}

std::vector<std::string> SshSession::wrap(const std::vector<std::string>& argv) const {
  return command(shell_join(argv));
}

std::string SshSession::open(milliseconds timeout) {
  if (opened_) return "";
  std::error_code ec;
  fs::create_directories(control_dir_, ec);
  std::vector<std::string> argv = base_argv();
  for (auto& a : argv)
    if (a == "ControlMaster=no") a = "ControlMaster=yes";
  // -f: into the background once logged in; -N: no command. The master
  // keeps the run's connection until close() (ControlPersist bounds it if
  // the controller dies: it goes away 10 minutes after its last client).
  argv.insert(argv.end(), {"-o", "ControlPersist=600", "-f", "-N", "--"});
  argv.push_back(host_);
  // Its stderr goes to a file, not run_command's pipe: the backgrounded
  // master keeps it open for as long as it lives.
  const fs::path err = control_dir_ / ("master-" + host_ + ".err");
  auto r = run_local_shell(shell_join(argv) + " </dev/null >/dev/null 2>" + shell_quote(err.string()), timeout);
  if (!r.succeeded()) {
    std::string why = r.timed_out ? "no answer within " + std::to_string(timeout.count()) + " ms" : "";
    if (why.empty()) {
      auto e = process::run_command({"cat", err.string()});
      why = process::first_line(e.output);
      if (why.empty()) why = r.describe();
    }
    return "ssh " + where() + ": " + why;
  }
  opened_ = true;
  return "";
}

void SshSession::close() {
  // Also without open(): a cleanup closes the master a dead controller left.
  opened_ = false;
  std::error_code ec;
  if (!fs::exists(control_dir_, ec)) return;
  std::vector<std::string> argv = base_argv();
  argv.insert(argv.end(), {"-O", "exit", "--"});
  argv.push_back(host_);
  process::run_command(argv, {.timeout = milliseconds(5000)});
}

process::CommandResult SshSession::run(const std::string& remote_command, milliseconds timeout) const {
  return process::run_command(command(remote_command), {.timeout = timeout, .env = {}, .max_output = 1 << 20});
}

std::string SshSession::must_run(const std::string& what, const std::string& remote_command,
                                 milliseconds timeout) const {
  auto r = run(remote_command, timeout);
  if (!r.succeeded()) throw BackendError("ssh " + where() + ": " + what + ": " + r.describe());
  return r.output;
}

process::CommandResult SshSession::run_local_shell(const std::string& line, milliseconds timeout) const {
  return process::run_command({"/bin/sh", "-c", line}, {.timeout = timeout});
}

bool SshSession::upload(const fs::path& local, const std::string& remote, bool executable, milliseconds timeout) const {
  const std::string sum = file_sha256(local);
  const std::string q = shell_quote(remote);
  // Already there with the same bytes (a second run, or hosts sharing a
  // file system): nothing to copy.
  auto have = run("sha256sum -- " + q + " 2>/dev/null | cut -d' ' -f1", milliseconds(15000));
  if (have.succeeded() && process::first_line(have.output) == sum) return false;
  // A name of this upload's own, renamed over the target: hosts sharing a
  // file system may upload the same file at the same time.
  const std::string tmp = shell_quote(remote + ".part-" + std::to_string(::getpid()) + "-" + host_);
  const std::string remote_line = "mkdir -p -- \"$(dirname -- " + q + ")\" && cat > " + tmp +
                                  (executable ? " && chmod 0755 " + tmp : "") + " && mv -f -- " + tmp + " " + q;
  auto r = run_local_shell(shell_join(command(remote_line)) + " < " + shell_quote(local.string()) + " 2>&1", timeout);
  if (!r.succeeded()) {
    throw BackendError("ssh " + where() + ": copying " + local.string() + " to " + remote + ": " + r.describe());
  }
  return true;
}

std::string SshSession::download(const std::string& remote, const fs::path& local, milliseconds timeout) const {
  std::error_code ec;
  fs::create_directories(local.parent_path(), ec);
  const fs::path tmp = local.string() + ".part";
  auto r = run_local_shell(shell_join(command("cat -- " + shell_quote(remote))) + " > " + shell_quote(tmp.string()),
                           timeout);
  if (!r.succeeded()) {
    fs::remove(tmp, ec);
    return "ssh " + where() + ": fetching " + remote + ": " + r.describe();
  }
  fs::rename(tmp, local, ec);
  if (ec) return "cannot write " + local.string() + ": " + ec.message();
  return "";
}

}  // namespace faultline::harness
