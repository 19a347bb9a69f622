#include "backends/ip_tool.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "faultline/harness/backend.h"

namespace faultline::harness {

using Json = nlohmann::json;

process::CommandResult run_ip(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  return process::run_command(argv, {.timeout = timeout, .max_output = 4 << 20});
}

void must_ip(const std::string& what, const std::vector<std::string>& args) {
  auto r = run_ip(args);
  if (r.succeeded()) return;
  std::string cmd = "ip";
  for (const auto& a : args) cmd += " " + a;
  throw BackendError(what + ": `" + cmd + "` failed: " + r.describe());
}

namespace {

// The kernel flags a dump that raced with a change (another test creating
// links or addresses); iproute2 then prints "Dump was interrupted and may be
// inconsistent." into the same stream and the listing may be incomplete.
// Such a dump is worthless, so it is taken again; a few retries are plenty
// since the racing change is a single batch.
Json ip_json(const std::vector<std::string>& args) {
  constexpr int kAttempts = 8;
  std::string cmd = "ip";
  for (const auto& a : args) cmd += " " + a;
  for (int attempt = 1;; ++attempt) {
    auto r = run_ip(args);
    const bool interrupted = r.output.find("Dump was interrupted") != std::string::npos;
    if (interrupted && attempt < kAttempts) {
      ::usleep(20000 * attempt);
      continue;
    }
    if (!r.succeeded()) throw BackendError("`" + cmd + "` failed: " + r.describe());
    if (process::first_line(r.output).empty()) return Json::array();  // `ip -j netns list` prints nothing when empty
    try {
      return Json::parse(r.output);
    } catch (const Json::exception& e) {
      throw BackendError("cannot parse the output of `" + cmd + "`" +
                         (interrupted ? " (its dump was interrupted " + std::to_string(kAttempts) + " times)" : "") +
                         ": " + e.what());
    }
  }
}

bool parse_ipv4(const std::string& text, std::uint32_t& out) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return false;
  out = ntohl(a.s_addr);
  return true;
}

}  // namespace

process::CommandResult run_ip_batch(const std::vector<std::string>& lines, const std::filesystem::path& scratch_dir,
                                    const std::string& netns, bool force) {
  std::error_code ec;
  std::filesystem::create_directories(scratch_dir, ec);
  std::string path = (scratch_dir / "ip-batch-XXXXXX").string();
  const int fd = ::mkstemp(path.data());
  if (fd < 0) throw BackendError("cannot create an ip batch file in " + scratch_dir.string() + ": " + std::strerror(errno));
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    throw BackendError("cannot write the ip batch file " + path);
  }
  std::vector<std::string> args;
  if (!netns.empty()) args = {"-n", netns};
  if (force) args.push_back("-force");
  args.push_back("-batch");
  args.push_back(path);
  auto r = run_ip(args, std::chrono::milliseconds(30000));
  ::unlink(path.c_str());
  return r;
}

void must_ip_batch(const std::string& what, const std::vector<std::string>& lines,
                   const std::filesystem::path& scratch_dir, const std::string& netns) {
  auto r = run_ip_batch(lines, scratch_dir, netns);
  if (r.succeeded()) return;
  // "Command failed /path/ip-batch-abc:3" names the line that failed.
  std::string failed = "ip -batch";
  const auto at = r.output.find("Command failed ");
  if (at != std::string::npos) {
    const auto colon = r.output.find(':', at);
    try {
      const std::size_t line = std::stoul(r.output.substr(colon + 1));
      if (line >= 1 && line <= lines.size()) failed = "ip " + (netns.empty() ? "" : "-n " + netns + " ") + lines[line - 1];
    } catch (const std::exception&) {
    }
  }
  throw BackendError(what + ": `" + failed + "` failed: " + r.describe());
}

std::vector<std::string> list_netns() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec)) names.push_back(e.path().filename().string());
  return names;
}

std::vector<pid_t> netns_pids(const std::string& ns) {
  std::vector<pid_t> pids;
  struct stat want {};
  if (::stat(("/run/netns/" + ns).c_str(), &want) != 0) return pids;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || pid <= 0) continue;
    struct stat st {};
    if (::stat(("/proc/" + std::string(e->d_name) + "/ns/net").c_str(), &st) != 0) continue;
    if (st.st_dev == want.st_dev && st.st_ino == want.st_ino) pids.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return pids;
}

std::vector<LinkInfo> list_links() {
  std::vector<LinkInfo> links;
  for (const auto& j : ip_json({"-d", "-j", "link", "show"})) {
    LinkInfo l;
    l.name = j.value("ifname", "");
    l.master = j.value("master", "");
    l.alias = j.value("ifalias", "");
    if (j.contains("linkinfo")) l.kind = j["linkinfo"].value("info_kind", "");
    links.push_back(std::move(l));
  }
  return links;
}

bool Ipv4Net::overlaps(const Ipv4Net& other) const {
  const int len_min = std::min(len, other.len);
  const std::uint32_t mask = len_min == 0 ? 0 : ~std::uint32_t{0} << (32 - len_min);
  return (addr & mask) == (other.addr & mask);
}

std::string ipv4_str(std::uint32_t addr) {
  return std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 255) + "." +
         std::to_string((addr >> 8) & 255) + "." + std::to_string(addr & 255);
}

std::string Ipv4Net::str() const { return ipv4_str(addr) + "/" + std::to_string(len); }

std::vector<Ipv4Net> ipv4_networks_in_use() {
  std::vector<Ipv4Net> nets;
  for (const auto& link : ip_json({"-4", "-j", "addr", "show"})) {
    if (!link.contains("addr_info")) continue;
    for (const auto& a : link["addr_info"]) {
      Ipv4Net n;
      if (!parse_ipv4(a.value("local", ""), n.addr)) continue;
      n.len = a.value("prefixlen", 32);
      // As for routes below: an address on a /8 or wider network would rule
      // out every candidate; keep only the /24 around the address itself.
      if (n.len <= 8) n.len = 24;
      nets.push_back(n);
    }
  }
  for (const auto& route : ip_json({"-4", "-j", "route", "show"})) {
    std::string dst = route.value("dst", "");
    if (dst.empty() || dst == "default") continue;
    Ipv4Net n;
    n.len = 32;
    const auto slash = dst.find('/');
    if (slash != std::string::npos) {
      n.len = std::stoi(dst.substr(slash + 1));
      dst = dst.substr(0, slash);
    }
    if (!parse_ipv4(dst, n.addr)) continue;
    // A /8 or wider route (a VPN's 10.0.0.0/8, say) would rule out every
    // candidate; a connected /24 of ours is more specific and wins locally,
    // so only narrower routes count as taken.
    if (n.len <= 8) continue;
    nets.push_back(n);
  }
  return nets;
}

}  // namespace faultline::harness
