#include "ip_tool.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "faultline/harness/backend.h"

namespace faultline::harness {

using Json = nlohmann::json;

nemesis::CommandResult run_ip(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  return nemesis::run_command(argv, {.timeout = timeout, .max_output = 4 << 20});
}

void must_ip(const std::string& what, const std::vector<std::string>& args) {
  auto r = run_ip(args);
  if (r.succeeded()) return;
  std::string cmd = "ip";
  for (const auto& a : args) cmd += " " + a;
  throw BackendError(what + ": `" + cmd + "` failed: " + r.describe());
}

namespace {

Json ip_json(const std::vector<std::string>& args) {
  auto r = run_ip(args);
  if (!r.succeeded()) {
    std::string cmd = "ip";
    for (const auto& a : args) cmd += " " + a;
    throw BackendError("`" + cmd + "` failed: " + r.describe());
  }
  if (nemesis::first_line(r.output).empty()) return Json::array();  // `ip -j netns list` prints nothing when empty
  try {
    return Json::parse(r.output);
  } catch (const Json::exception& e) {
    throw BackendError("cannot parse the output of `ip " + args.front() + "...`: " + e.what());
  }
}

bool parse_ipv4(const std::string& text, std::uint32_t& out) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return false;
  out = ntohl(a.s_addr);
  return true;
}

}  // namespace

std::vector<std::string> list_netns() {
  std::vector<std::string> names;
  for (const auto& j : ip_json({"-j", "netns", "list"})) names.push_back(j.value("name", ""));
  return names;
}

std::vector<pid_t> netns_pids(const std::string& ns) {
  auto r = run_ip({"netns", "pids", ns});
  std::vector<pid_t> pids;
  if (!r.succeeded()) return pids;
  std::size_t pos = 0;
  while (pos < r.output.size()) {
    std::size_t end = r.output.find('\n', pos);
    if (end == std::string::npos) end = r.output.size();
    try {
      const std::string line = r.output.substr(pos, end - pos);
      if (!line.empty()) pids.push_back(static_cast<pid_t>(std::stol(line)));
    } catch (const std::exception&) {
    }
    pos = end + 1;
  }
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
