// One host of the ssh backend, reached with the OpenSSH client run as a child
// process. The first call opens a multiplexing master (ControlMaster) in the
// background; every later command goes over its socket, so it costs no new
// handshake (a few ms instead of ~100).
//
// Every call has a timeout (run_command kills the ssh process group), ssh
// runs with BatchMode=yes (never a password prompt) and ConnectTimeout, so
// an unreachable host or a refused key is an error naming the host, not a
// hang.
//
// Private to harness/.
#ifndef FAULTLINE_HARNESS_SSH_SESSION_H_
#define FAULTLINE_HARNESS_SSH_SESSION_H_

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "faultline/harness/backend.h"
#include "faultline/process/command.h"

namespace faultline::harness {

using process::shell_join;
using process::shell_quote;

class SshSession {
 public:
  // `control_dir` holds the master's socket and, unless strict host key
  // checking is on, the run's own known_hosts file. It must be short (a unix
  // socket path has at most 107 bytes).
  SshSession(const SshOptions& options, std::string host, std::filesystem::path control_dir);

  const std::string& host() const { return host_; }
  // "root@10.1.2.3:22", for messages.
  std::string where() const;

  // Opens the multiplexing master (idempotent); returns "" or why it failed
  // ("ssh root@h:22: Permission denied (publickey)").
  std::string open(std::chrono::milliseconds timeout = std::chrono::milliseconds(15000));
  // Asks the master (this session's or a dead controller's) to exit.
  // Idempotent, never throws.
  void close();

  // The ssh argv that runs `remote_command` (a shell command line) on the host.
  std::vector<std::string> command(const std::string& remote_command) const;
  // The ssh argv that runs `argv` on the host, each word quoted.
  std::vector<std::string> wrap(const std::vector<std::string>& argv) const;

  process::CommandResult run(const std::string& remote_command,
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) const;
  // Runs `remote_command` and throws BackendError naming the host and `what`
  // when it fails.
  std::string must_run(const std::string& what, const std::string& remote_command,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) const;

  // Copies a local file to `remote` (through a temporary name and a rename,
  // so readers never see half a file; mode 0755 when `executable`), unless a
  // file with the same SHA-256 is already there. Returns true if it copied.
  bool upload(const std::filesystem::path& local, const std::string& remote, bool executable,
              std::chrono::milliseconds timeout = std::chrono::milliseconds(60000)) const;
  // Copies `remote` to `local` (replacing it). Returns "" or why not.
  std::string download(const std::string& remote, const std::filesystem::path& local,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) const;

 private:
  std::vector<std::string> base_argv() const;
  // A local `sh -c` line with ssh in it (for redirections from or to files).
  process::CommandResult run_local_shell(const std::string& line, std::chrono::milliseconds timeout) const;

  SshOptions options_;
  std::string host_;
  std::filesystem::path control_dir_;
  bool opened_ = false;
};

// The SHA-256 of a local file as lowercase hex (sha256sum's format); throws
// BackendError when it cannot be read.
std::string file_sha256(const std::filesystem::path& path);

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_SSH_SESSION_H_
