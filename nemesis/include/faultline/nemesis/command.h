// Running a helper program (nft, iptables, date under libfaketime) with a hard
// timeout and its output captured, so no probe or fault can hang the harness.
#ifndef FAULTLINE_NEMESIS_COMMAND_H_
#define FAULTLINE_NEMESIS_COMMAND_H_

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline::nemesis {

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

// Looks `name` up in $PATH and then the sbin directories a non-login root
// shell may lack (/usr/local/sbin, /usr/sbin, /sbin).
std::optional<std::string> find_program(std::string_view name);

// The first non-empty line of `text`, trimmed; for one-line reasons.
std::string first_line(std::string_view text);

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_COMMAND_H_
