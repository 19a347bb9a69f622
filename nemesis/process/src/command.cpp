#include "faultline/process/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

extern char** environ;

namespace faultline::process {
namespace {

using Clock = std::chrono::steady_clock;

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

std::string first_line(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t' || line.front() == '\r')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    if (!line.empty()) return std::string(line);
    pos = end + 1;
  }
  return {};
}

std::optional<std::string> find_program(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    std::string path(name);
    if (is_executable_file(path)) return path;
    return std::nullopt;
  }
  std::string dirs;
  if (const char* env = std::getenv("PATH")) dirs = env;
  dirs += ":/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin";
  std::size_t pos = 0;
  while (pos <= dirs.size()) {
    std::size_t end = dirs.find(':', pos);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(pos, end - pos);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + std::string(name);
      if (is_executable_file(candidate)) return candidate;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

std::string CommandResult::describe() const {
  std::string what;
  if (!started) {
    what = "could not start";
  } else if (timed_out) {
    what = "timed out";
  } else if (signal != 0) {
    what = std::string("killed by signal ") + std::to_string(signal) + " (" + strsignal(signal) + ")";
  } else {
    what = "exit " + std::to_string(exit_code);
  }
  std::string line = first_line(output);
  return line.empty() ? what : what + ": " + line;
}

SpawnedChild spawn_child(const std::string& program, const std::vector<std::string>& argv,
                         const std::vector<std::pair<std::string, std::string>>& extra_env) {
  SpawnedChild child;
  // Everything the child needs is built before fork(): between fork and exec
  // the child only makes async-signal-safe calls.
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    std::size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [key, value] : extra_env) env[key] = value;
  std::vector<std::string> env_strings;
  env_strings.reserve(env.size());
  for (const auto& [key, value] : env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    child.error = std::string("pipe: ") + std::strerror(errno);
    return child;
  }
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = ::fork();
  if (pid < 0) {
    child.error = std::string("fork: ") + std::strerror(errno);
    ::close(out[0]);
    ::close(out[1]);
    if (devnull >= 0) ::close(devnull);
    return child;
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // so a timeout kills whatever the program started, too
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    ::execve(program.c_str(), argp.data(), envp.data());
    const char msg[] = "exec failed\n";
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from here, so the group exists before any kill
  ::close(out[1]);
  if (devnull >= 0) ::close(devnull);
  child.pid = pid;
  child.output_fd = out[0];
  return child;
}

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options) {
  CommandResult result;
  if (argv.empty()) {
    result.output = "empty command";
    return result;
  }
  std::optional<std::string> program = find_program(argv[0]);
  if (!program) {
    result.output = argv[0] + ": not found in PATH or the sbin directories";
    return result;
  }

  SpawnedChild child = spawn_child(*program, argv, options.env);
  if (!child.error.empty()) {
    result.output = child.error;
    return result;
  }
  const pid_t pid = child.pid;
  const int output = child.output_fd;
  result.started = true;

  const auto deadline = Clock::now() + options.timeout;
  char buf[4096];
  bool eof = false;
  while (!eof) {
    int left = remaining_ms(deadline);
    if (left == 0) {
      result.timed_out = true;
      break;
    }
    pollfd pfd{output, POLLIN, 0};
    int rc = ::poll(&pfd, 1, left);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) continue;  // timeout is caught at the top of the loop
    ssize_t n = ::read(output, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof = true;
      break;
    }
    std::size_t room = options.max_output > result.output.size() ? options.max_output - result.output.size() : 0;
    result.output.append(buf, std::min<std::size_t>(room, static_cast<std::size_t>(n)));
  }
  ::close(output);

  int status = 0;
  if (result.timed_out) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return result;
  }
  // Output closed: the program (or its last child holding the pipe) is done;
  // still bound the wait, in case it closed its output and kept running.
  while (true) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) break;
    if (remaining_ms(deadline) == 0) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return result;
    }
    ::usleep(2000);
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  if (result.exit_code == 127 && result.output.find("exec failed") != std::string::npos) result.started = false;
  return result;
}

std::string shell_quote(const std::string& s) {
  const bool safe = !s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                      "_-./:=@,+%") == std::string::npos;
  if (safe) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + shell_quote(a);
  return out;
}

}  // namespace faultline::process
