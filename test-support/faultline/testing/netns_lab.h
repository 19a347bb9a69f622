// Test support: a small lab of named network namespaces joined by veth pairs,
// UDP echo servers and probes run inside them, and a long-running program
// started inside one (`ip netns exec`) whose stdout can be awaited line by
// line. Needs root. Everything is named after the test process's pid, so
// parallel tests never collide, and removed again by the destructors
// (deleting a namespace takes its links, addresses and rules with it).
//
//   NetnsLab lab("shp");                // namespaces fl-shp-<pid>-<x>
//   lab.add_namespace("a"); lab.add_namespace("b");
//   lab.link("a", "b", 1);             // a: 10.<o>.1.1/24  b: 10.<o>.1.2/24
//   auto echo = lab.udp_echo("b");
//   std::vector<double> rtt = lab.probe_rtts("a", lab.address("b", 1), 10);
//
// Probes and servers run in forked children that setns() into the
// namespace, so the test process itself never changes namespace.
#ifndef FAULTLINE_TESTING_NETNS_LAB_H_
#define FAULTLINE_TESTING_NETNS_LAB_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace faultline::testing {

inline constexpr std::uint16_t kLabEchoPort = 9047;

// Runs argv (argv[0] searched in PATH and the sbin directories), output
// captured; exit code or -1.
inline std::pair<int, std::string> lab_run(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {-1, "pipe failed"};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline double lab_now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// A forked child that lives until stopped (a server); killed on destruction.
class LabChild {
 public:
  LabChild() = default;
  explicit LabChild(pid_t pid) : pid_(pid) {}
  LabChild(LabChild&& o) noexcept : pid_(std::exchange(o.pid_, -1)) {}
  LabChild& operator=(LabChild&& o) noexcept {
    stop();
    pid_ = std::exchange(o.pid_, -1);
    return *this;
  }
  ~LabChild() { stop(); }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

// One datagram seen by a burst: its sequence number and when its echo came
// back, in ms after the burst started.
struct LabArrival {
  std::uint32_t seq;
  double at_ms;
};

class NetnsLab {
 public:
  explicit NetnsLab(std::string tag) : tag_(std::move(tag)), pid_(::getpid()) {
    octet_ = 100 + static_cast<int>(pid_ % 100);
  }
  ~NetnsLab() {
    for (const auto& [short_name, full] : namespaces_) lab_run({"ip", "netns", "del", full});
  }
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  // "" on success, else what went wrong.
  std::string add_namespace(const std::string& name) {
    std::string full = "fl-" + tag_ + "-" + std::to_string(pid_) + "-" + name;
    auto [rc, out] = lab_run({"ip", "netns", "add", full});
    if (rc != 0) return "ip netns add " + full + ": " + out;
    namespaces_[name] = full;
    auto [rc2, out2] = lab_run({"ip", "-n", full, "link", "set", "lo", "up"});
    return rc2 == 0 ? "" : "lo up in " + full + ": " + out2;
  }
  const std::string& ns(const std::string& name) const { return namespaces_.at(name); }

  // 10.<octet>.<subnet>.1 on `a`'s side, .2 on `b`'s.
  std::string address(const std::string& name, int subnet) const {
    return "10." + std::to_string(octet_) + "." + std::to_string(subnet) + "." + (sides_.at({name, subnet}) ? "1" : "2");
  }

  std::string link(const std::string& a, const std::string& b, int subnet) {
    std::string ia = "fl" + std::to_string(pid_ % 100000) + "s" + std::to_string(subnet) + "a";
    std::string ib = "fl" + std::to_string(pid_ % 100000) + "s" + std::to_string(subnet) + "b";
    auto [rc, out] = lab_run({"ip", "link", "add", ia, "netns", ns(a), "type", "veth", "peer", "name", ib, "netns", ns(b)});
    if (rc != 0) return "veth " + ia + "/" + ib + ": " + out;
    sides_[{a, subnet}] = true;
    sides_[{b, subnet}] = false;
    for (auto [who, dev] : {std::pair{a, ia}, std::pair{b, ib}}) {
      auto [r1, o1] = lab_run({"ip", "-n", ns(who), "addr", "add", address(who, subnet) + "/24", "dev", dev});
      auto [r2, o2] = lab_run({"ip", "-n", ns(who), "link", "set", dev, "up"});
      if (r1 != 0 || r2 != 0) return "address/up on " + dev + ": " + o1 + o2;
    }
    return "";
  }

  // Runs `work` in a forked child inside namespace `name`; returns what the
  // child wrote (its result), or nullopt if it could not enter / died.
  template <typename Work>
  std::optional<std::string> in_ns(const std::string& name, Work work, double timeout_ms = 20000) const {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      std::string result = enter(name) ? work() : std::string("!cannot enter namespace");
      ssize_t ignored = ::write(fds[1], result.data(), result.size());
      (void)ignored;
      ::_exit(0);
    }
    ::close(fds[1]);
    std::string out;
    double deadline = lab_now_ms() + timeout_ms;
    char buf[4096];
    while (true) {
      pollfd p{fds[0], POLLIN, 0};
      int wait = static_cast<int>(std::max(0.0, deadline - lab_now_ms()));
      if (::poll(&p, 1, wait) <= 0) {
        ::kill(pid, SIGKILL);
        break;
      }
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || out.rfind("!", 0) == 0) return std::nullopt;
    return out;
  }

  // A UDP echo server on kLabEchoPort inside `name`, until the LabChild goes.
  LabChild udp_echo(const std::string& name) const {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
      if (!enter(name)) ::_exit(1);
      int s = ::socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(kLabEchoPort);
      if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) ::_exit(1);
      char buf[65536];
      while (true) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0) ::sendto(s, buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
    }
    return LabChild(pid);
  }

  // A TCP server on kLabEchoPort inside `name`: for each connection it reads
  // to EOF, then answers with the byte count (8 bytes) and closes.
  LabChild tcp_counter(const std::string& name) const {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (!enter(name)) ::_exit(1);
      int s = ::socket(AF_INET, SOCK_STREAM, 0);
      int one = 1;
      ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(kLabEchoPort);
      if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 8) != 0) ::_exit(1);
      while (true) {
        int c = ::accept(s, nullptr, nullptr);
        if (c < 0) continue;
        std::uint64_t total = 0;
        char buf[65536];
        ssize_t n;
        while ((n = ::read(c, buf, sizeof buf)) > 0) total += static_cast<std::uint64_t>(n);
        ssize_t ignored = ::write(c, &total, sizeof total);
        (void)ignored;
        ::close(c);
      }
    }
    return LabChild(pid);
  }

  // Sends `bytes` over TCP from `from` to the tcp_counter at `dst`; returns
  // "<bytes the server counted> <seconds>" or nullopt.
  std::optional<std::pair<std::uint64_t, double>> tcp_send(const std::string& from, const std::string& dst,
                                                           std::size_t bytes, double timeout_ms = 15000) const {
    auto out = in_ns(
        from,
        [&] {
          sockaddr_in a{};
          a.sin_family = AF_INET;
          a.sin_port = htons(kLabEchoPort);
          ::inet_pton(AF_INET, dst.c_str(), &a.sin_addr);
          double start = lab_now_ms();
          // The counter is a freshly forked process: until it listens, the
          // connection is refused, so retry that for a while.
          int s = -1;
          while (true) {
            s = ::socket(AF_INET, SOCK_STREAM, 0);
            if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) break;
            const bool refused = errno == ECONNREFUSED;
            ::close(s);
            if (!refused || lab_now_ms() - start > 3000) return std::string("!connect");
            ::usleep(10000);
          }
          start = lab_now_ms();
          std::string chunk(65536, 't');
          std::size_t sent = 0;
          while (sent < bytes) {
            ssize_t n = ::write(s, chunk.data(), std::min(chunk.size(), bytes - sent));
            if (n <= 0) return std::string("!write");
            sent += static_cast<std::size_t>(n);
          }
          ::shutdown(s, SHUT_WR);
          std::uint64_t counted = 0;
          if (::read(s, &counted, sizeof counted) != static_cast<ssize_t>(sizeof counted)) return std::string("!read");
          return std::to_string(counted) + " " + std::to_string((lab_now_ms() - start) / 1000.0);
        },
        timeout_ms);
    if (!out) return std::nullopt;
    std::istringstream in(*out);
    std::pair<std::uint64_t, double> result;
    if (!(in >> result.first >> result.second)) return std::nullopt;
    return result;
  }

  // Sequential probes from `from` to the echo at `dst`: each RTT in ms, or -1
  // when no echo came within `timeout_ms`. Empty if the probe could not run.
  std::vector<double> probe_rtts(const std::string& from, const std::string& dst, int count,
                                 double timeout_ms = 1000, std::size_t size = 64) const {
    auto out = in_ns(from, [&] {
      int s = udp_socket_to(dst);
      if (s < 0) return std::string("!socket");
      std::ostringstream result;
      std::string payload(std::max<std::size_t>(size, 4), 'p');
      for (std::uint32_t seq = 0; seq < static_cast<std::uint32_t>(count); ++seq) {
        std::memcpy(payload.data(), &seq, 4);
        double start = lab_now_ms();
        ::send(s, payload.data(), payload.size(), 0);
        double rtt = -1;
        while (rtt < 0) {
          double left = start + timeout_ms - lab_now_ms();
          pollfd p{s, POLLIN, 0};
          if (left <= 0 || ::poll(&p, 1, static_cast<int>(left) + 1) <= 0) break;
          char buf[65536];
          ssize_t n = ::recv(s, buf, sizeof buf, 0);
          std::uint32_t got = 0;
          if (n >= 4) std::memcpy(&got, buf, 4);
          if (n >= 4 && got == seq) rtt = lab_now_ms() - start;  // late echoes of earlier probes are skipped
        }
        result << rtt << ' ';
      }
      return result.str();
    });
    std::vector<double> rtts;
    if (!out) return rtts;
    std::istringstream in(*out);
    for (double v; in >> v;) rtts.push_back(v);
    return rtts;
  }

  // Sends `count` datagrams of `size` bytes, `gap_ms` apart, then collects
  // echoes until none came for `idle_ms`: arrivals in the order received.
  std::vector<LabArrival> burst(const std::string& from, const std::string& dst, int count, std::size_t size,
                                double gap_ms, double idle_ms) const {
    auto out = in_ns(from, [&] {
      int s = udp_socket_to(dst);
      if (s < 0) return std::string("!socket");
      int big = 8 << 20;
      ::setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
      std::ostringstream result;
      std::string payload(std::max<std::size_t>(size, 4), 'b');
      double start = lab_now_ms();
      // Reads echoes until `until`; whether any came.
      auto collect = [&](double until) {
        bool any = false;
        while (true) {
          double left = until - lab_now_ms();
          pollfd p{s, POLLIN, 0};
          if (left <= 0 || ::poll(&p, 1, static_cast<int>(left) + 1) <= 0) return any;
          char buf[65536];
          ssize_t n = ::recv(s, buf, sizeof buf, 0);
          std::uint32_t got = 0;
          if (n >= 4) {
            std::memcpy(&got, buf, 4);
            result << got << ' ' << (lab_now_ms() - start) << ' ';
            any = true;
          }
        }
      };
      for (std::uint32_t seq = 0; seq < static_cast<std::uint32_t>(count); ++seq) {
        std::memcpy(payload.data(), &seq, 4);
        ::send(s, payload.data(), payload.size(), 0);
        if (gap_ms > 0) collect(start + (seq + 1) * gap_ms);
      }
      while (collect(lab_now_ms() + idle_ms)) {
      }
      return result.str();
    });
    std::vector<LabArrival> arrivals;
    if (!out) return arrivals;
    std::istringstream in(*out);
    for (LabArrival a{}; in >> a.seq >> a.at_ms;) arrivals.push_back(a);
    return arrivals;
  }

  // Probes until the echo at `dst` answers (servers need a moment to bind).
  bool wait_echo(const std::string& from, const std::string& dst, double within_ms = 3000) const {
    double deadline = lab_now_ms() + within_ms;
    while (lab_now_ms() < deadline) {
      std::vector<double> r = probe_rtts(from, dst, 1, 200);
      if (!r.empty() && r[0] >= 0) return true;
    }
    return false;
  }

 private:
  bool enter(const std::string& name) const {
    int fd = ::open(("/run/netns/" + ns(name)).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::setns(fd, CLONE_NEWNET) == 0;
    ::close(fd);
    return ok;
  }
  static int udp_socket_to(const std::string& dst) {
    int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kLabEchoPort);
    if (s < 0 || ::inet_pton(AF_INET, dst.c_str(), &a.sin_addr) != 1) return -1;
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
    return s;
  }

  std::string tag_;
  pid_t pid_;
  int octet_;
  std::map<std::string, std::string> namespaces_;
  std::map<std::pair<std::string, int>, bool> sides_;  // (namespace, subnet) → is the .1 side
};

// A long-running program started inside a namespace with `ip netns exec`
// (as the controller starts faultline-agent), stdout and stderr captured.
class LabProcess {
 public:
  LabProcess(const std::string& netns, const std::vector<std::string>& argv) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      std::vector<std::string> full = {"ip", "netns", "exec", netns};
      full.insert(full.end(), argv.begin(), argv.end());
      std::vector<char*> args;
      for (const auto& a : full) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }
  ~LabProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
    if (err_ >= 0) ::close(err_);
  }
  LabProcess(const LabProcess&) = delete;
  LabProcess& operator=(const LabProcess&) = delete;

  pid_t pid() const { return pid_; }

  // The next stdout line, or nullopt if none within `timeout_ms` (or EOF).
  std::optional<std::string> read_line(double timeout_ms) {
    double deadline = lab_now_ms() + timeout_ms;
    while (true) {
      if (auto nl = out_buf_.find('\n'); nl != std::string::npos) {
        std::string line = out_buf_.substr(0, nl);
        out_buf_.erase(0, nl + 1);
        return line;
      }
      pollfd p{out_, POLLIN, 0};
      double left = deadline - lab_now_ms();
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left) + 1) <= 0) return std::nullopt;
      char buf[4096];
      ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      out_buf_.append(buf, static_cast<std::size_t>(n));
    }
  }

  void signal(int sig) { ::kill(pid_, sig); }

  // Waits for the exit; the exit code (128+signal when killed), or -1 on
  // timeout. Remaining stdout/stderr are kept for rest_of_stdout / stderr_text.
  int wait(double timeout_ms) {
    double deadline = lab_now_ms() + timeout_ms;
    while (lab_now_ms() < deadline) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        drain();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      ::usleep(5000);
    }
    return -1;
  }
  std::string rest_of_stdout() const { return out_buf_; }
  std::string stderr_text() const { return err_buf_; }

 private:
  void drain() {
    char buf[4096];
    for (auto [fd, into] : {std::pair{out_, &out_buf_}, std::pair{err_, &err_buf_}}) {
      ssize_t n;
      ::fcntl(fd, F_SETFL, O_NONBLOCK);
      while ((n = ::read(fd, buf, sizeof buf)) > 0) into->append(buf, static_cast<std::size_t>(n));
    }
  }
  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
  bool exited_ = false;
  std::string out_buf_, err_buf_;
};

}  // namespace faultline::testing

#endif  // FAULTLINE_TESTING_NETNS_LAB_H_
