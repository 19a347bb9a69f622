// The ssh backend's host lists: a nodes file (vagrant/nodes.txt's format,
// one `host` or `name host` per line) or repeated --node flags.
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "backends/backends.h"
#include "faultline/harness/backend.h"

namespace faultline::harness {
namespace {

// Hosts become part of ssh command lines; a leading '-' would be an option.
bool valid_host(const std::string& h) {
  if (h.empty() || h.size() > 253 || h.front() == '-') return false;
  for (char c : h) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// Names the unnamed hosts n1, n2, ... by position and checks the list.
std::vector<SshHost> finish(std::vector<SshHost> hosts, const std::vector<std::string>& where,
                            const std::string& source) {
  if (hosts.empty()) throw std::invalid_argument(source + ": no hosts (one `host` or `name host` per line)");
  std::set<std::string> names, addresses;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    if (hosts[i].name.empty()) hosts[i].name = "n" + std::to_string(i + 1);
    if (!valid_host(hosts[i].host)) throw std::invalid_argument(where[i] + ": bad host '" + hosts[i].host + "'");
    if (!addresses.insert(hosts[i].host).second) {
      throw std::invalid_argument(where[i] + ": host '" + hosts[i].host + "' given twice");
    }
    if (!names.insert(hosts[i].name).second) {
      throw std::invalid_argument(where[i] + ": node name '" + hosts[i].name + "' given twice");
    }
  }
  std::vector<std::string> names_in_order;
  for (const auto& h : hosts) names_in_order.push_back(h.name);
  try {
    check_node_names(names_in_order, 250);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(source + ": " + e.what());
  }
  return hosts;
}

}  // namespace

std::vector<SshHost> read_nodes_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("--nodes-file " + path.string() + ": cannot be read");
  std::vector<SshHost> hosts;
  std::vector<std::string> where;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    if (w.empty()) continue;
    const std::string at = "--nodes-file " + path.string() + " line " + std::to_string(number);
    if (w.size() > 2) throw std::invalid_argument(at + ": expected `host` or `name host`, got " + std::to_string(w.size()) + " words");
    hosts.push_back(w.size() == 1 ? SshHost{"", w[0]} : SshHost{w[0], w[1]});
    where.push_back(at);
  }
  return finish(std::move(hosts), where, "--nodes-file " + path.string());
}

std::vector<SshHost> parse_node_flags(const std::vector<std::string>& nodes) {
  std::vector<SshHost> hosts;
  std::vector<std::string> where;
  for (const auto& n : nodes) {
    const auto eq = n.find('=');
    hosts.push_back(eq == std::string::npos ? SshHost{"", n} : SshHost{n.substr(0, eq), n.substr(eq + 1)});
    where.push_back("--node " + n);
  }
  return finish(std::move(hosts), where, "--node");
}

}  // namespace faultline::harness
