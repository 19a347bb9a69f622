// A long-running helper program (the NFQUEUE shaper, a clock strober) started
// for the length of one fault window: its output is watched for a ready line,
// and stopping it is SIGTERM, then SIGKILL of its whole process group after a
// grace period, so a fault's helper can never outlive its window unnoticed.
//
// Invariant: after terminate() or destruction the process group is gone and
// reaped.
#ifndef FAULTLINE_PROCESS_BACKGROUND_H_
#define FAULTLINE_PROCESS_BACKGROUND_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "faultline/process/command.h"
#include "faultline/process/status.h"

namespace faultline::process {

class BackgroundCommand {
 public:
  BackgroundCommand() = default;
  ~BackgroundCommand();
  BackgroundCommand(BackgroundCommand&& other) noexcept;
  BackgroundCommand& operator=(BackgroundCommand&& other) noexcept;
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;

  // argv[0] is looked up like run_command's.
  Status start(const std::vector<std::string>& argv,
               const std::vector<std::pair<std::string, std::string>>& env = {});

  // Reads output until a line starting with `prefix` arrives (returns it),
  // the program exits (failure with its output), or `timeout` passes.
  Status wait_for_line(const std::string& prefix, std::chrono::milliseconds timeout, std::string* line = nullptr);

  bool running();
  pid_t pid() const { return pid_; }

  // SIGTERM to the group, SIGKILL after `grace`; collects the rest of the
  // output. Idempotent: a second call returns the first result.
  CommandResult terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

 private:
  void read_available(int timeout_ms);
  void reset();

  pid_t pid_ = -1;
  int output_fd_ = -1;
  bool reaped_ = false;
  CommandResult result_;
};

}  // namespace faultline::process

#endif  // FAULTLINE_PROCESS_BACKGROUND_H_
