// Running a helper program (nft, iptables, date under libfaketime) with a hard
// timeout and its output captured, so no probe or fault can hang the harness.
#ifndef FAULTLINE_PROCESS_COMMAND_H_
#define FAULTLINE_PROCESS_COMMAND_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline::process {

struct CommandOptions {
  std::chrono::milliseconds timeout{2000};
  // Added to (or replacing entries of) the caller's environment.
  std::vector<std::pair<std::string, std::string>> env;
  // Output beyond this many bytes is read and discarded.
  std::size_t max_output = 64 * 1024;
};

struct CommandResult {
  bool started = false;    // false: program not found or fork/exec failed
  bool timed_out = false;  // killed (with its process group) at the timeout
  int exit_code = -1;      // -1 unless it exited normally
  int signal = 0;          // the terminating signal, if any
  std::string output;      // stdout and stderr, interleaved

  bool succeeded() const { return started && !timed_out && exit_code == 0; }
  // "exit 1: Error: Could not process rule: ..." — first output line included.
  std::string describe() const;
};

// argv[0] may be a bare name (looked up with find_program) or a path.
CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options = {});

// A forked and exec'd child in its own process group, stdin from /dev/null,
// stdout and stderr into one pipe (output_fd, close-on-exec). `error` says
// why nothing was started. The building block of run_command and
// BackgroundCommand (background.h).
struct SpawnedChild {
  pid_t pid = -1;
  int output_fd = -1;
  std::string error;
};
SpawnedChild spawn_child(const std::string& program, const std::vector<std::string>& argv,
                         const std::vector<std::pair<std::string, std::string>>& extra_env);

// Looks `name` up in $PATH and then the sbin directories a non-login root
// shell may lack (/usr/local/sbin, /usr/sbin, /sbin).
std::optional<std::string> find_program(std::string_view name);

// The first non-empty line of `text`, trimmed; for one-line reasons.
std::string first_line(std::string_view text);

// `s` quoted for a POSIX shell ('it'\''s' style, so any byte survives), or
// as it is when it holds only characters no shell treats specially, so
// command lines in logs and replay lines stay readable.
std::string shell_quote(const std::string& s);
// argv quoted and joined with spaces: one shell command line.
std::string shell_join(const std::vector<std::string>& argv);

}  // namespace faultline::process

#endif  // FAULTLINE_PROCESS_COMMAND_H_
