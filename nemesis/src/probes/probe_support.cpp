#include "probes/probe_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace faultline::nemesis::detail {
using process::Status;
namespace {

using Clock = std::chrono::steady_clock;

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool file_mentions(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos) return true;
  }
  return false;
}

sockaddr_in address(const char* ip, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &sa.sin_addr);
  return sa;
}

Status errno_status(const std::string& what) { return Status::failure(what + ": " + std::strerror(errno)); }

}  // namespace

Status bring_up_loopback(RouteSocket& sock) {
  if (Status st = sock.connect(); !st) return st;
  return sock.set_up("lo");
}

UdpProbe::~UdpProbe() {
  if (sender_ >= 0) ::close(sender_);
  if (receiver_ >= 0) ::close(receiver_);
}

Status UdpProbe::open(const char* source_ip, std::uint16_t port) {
  port_ = port;
  receiver_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sender_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (receiver_ < 0 || sender_ < 0) return errno_status("socket");
  int one = 1;
  ::setsockopt(receiver_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in to = address("127.0.0.1", port);
  if (::bind(receiver_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return errno_status("bind 127.0.0.1");
  sockaddr_in from = address(source_ip, 0);
  if (::bind(sender_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
    return errno_status(std::string("bind ") + source_ip);
  }
  return Status::success();
}

Status UdpProbe::send(const std::string& payload) {
  sockaddr_in to = address("127.0.0.1", port_);
  if (::sendto(sender_, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
    return errno_status("sendto 127.0.0.1");
  }
  return Status::success();
}

bool UdpProbe::arrives(const std::string& payload, std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd pfd{receiver_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left)) <= 0) continue;
    char buf[2048];
    ssize_t n = ::recv(receiver_, buf, sizeof buf, 0);
    if (n > 0 && std::string(buf, static_cast<std::size_t>(n)) == payload) return true;
  }
}

bool datagram_arrives(const char* source_ip, std::chrono::milliseconds wait) {
  UdpProbe probe;
  if (!probe.open(source_ip)) return false;
  const std::string payload = "faultline-doctor-datagram";
  if (!probe.send(payload)) return false;
  return probe.arrives(payload, wait);
}

std::string kernel_release() {
  utsname u{};
  if (::uname(&u) != 0) return "unknown";
  return u.release;
}

std::string kernel_module_note(const std::string& module) {
  const std::string release = kernel_release();
  if (!path_exists("/proc/modules")) {
    return "kernel " + release + " has no loadable module support (no /proc/modules)";
  }
  const std::string dir = "/lib/modules/" + release;
  if (!path_exists(dir)) return "kernel " + release + " has no " + dir + " to load " + module + " from";
  if (file_mentions(dir + "/modules.builtin", "/" + module + ".ko")) {
    return module + " is listed as built into kernel " + release + ", yet the kernel refused it";
  }
  if (file_mentions(dir + "/modules.dep", "/" + module + ".ko")) {
    return module + " exists as a module of kernel " + release + " but did not load";
  }
  return module + " is neither built into kernel " + release + " nor among its modules";
}

std::chrono::milliseconds command_timeout(std::chrono::milliseconds probe_timeout) {
  auto t = probe_timeout - std::chrono::milliseconds(700);
  return std::clamp(t, std::chrono::milliseconds(200), std::chrono::milliseconds(2000));
}

std::string current_user() {
  uid_t euid = ::geteuid();
  std::string who = "euid " + std::to_string(euid);
  if (passwd* pw = ::getpwuid(euid); pw != nullptr) who += " (" + std::string(pw->pw_name) + ")";
  return who;
}

std::string needs_root_reason(const std::string& to_do) {
  return "needs root" + (to_do.empty() ? std::string() : " " + to_do) + " (running as " + current_user() +
         "); not attempted";
}

}  // namespace faultline::nemesis::detail
