#include "backends/node_launch.h"

#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "faultline/node/config.h"

namespace faultline::harness {
namespace fs = std::filesystem;

namespace {

// $<env_var>, else beside this executable (install layout) or in
// ../<build_folder>/ (build tree), else PATH.
fs::path find_our_binary(const char* name, const char* env_var, const char* build_folder) {
  if (const char* env = std::getenv(env_var); env && *env) return env;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& p : {self.parent_path() / name, self.parent_path().parent_path() / build_folder / name}) {
      if (::access(p.c_str(), X_OK) == 0) return p;
    }
  }
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      const fs::path p = fs::path(dir) / name;
      if (!dir.empty() && ::access(p.c_str(), X_OK) == 0) return p;
    }
  }
  return {};
}

}  // namespace

fs::path find_node_binary() { return find_our_binary("faultline-node", "FAULTLINE_NODE_BINARY", "node"); }
fs::path find_agent_binary() { return find_our_binary("faultline-agent", "FAULTLINE_AGENT_BINARY", "nemesis"); }

nlohmann::json parse_store_opts(const std::vector<std::string>& opts) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& opt : opts) {
    const auto eq = opt.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw std::invalid_argument("--store-opt '" + opt + "': expected key=value");
    }
    const std::string key = opt.substr(0, eq), text = opt.substr(eq + 1);
    if (key == "preset" || key == "node_id" || key == "members" || key == "data_dir" || key == "listen") {
      throw std::invalid_argument("--store-opt '" + opt + "': " + key + " is set by the harness" +
                                  (key == "preset" ? " (use --store-preset)" : ""));
    }
    nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
    // Only scalars are taken as JSON; anything else (including words) is a string.
    if (value.is_discarded() || !(value.is_number() || value.is_boolean())) value = text;
    out[key] = value;
  }
  return out;
}

nlohmann::json node_config(const std::string& preset, const nlohmann::json& store_opts,
                           const std::vector<NodeAddress>& members, const NodeAddress& self,
                           const fs::path& data_dir) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : members) list.push_back(m.name + "=" + m.address());
  nlohmann::json c = {{"preset", preset}, {"node_id", self.name}, {"data_dir", data_dir.string()}, {"members", list}};
  for (auto it = store_opts.begin(); it != store_opts.end(); ++it) c[it.key()] = it.value();
  try {
    node::NodeConfig parsed = node::config_from_json(c);
    node::validate(parsed);
  } catch (const node::ConfigError& e) {
    throw std::invalid_argument(std::string("store config: ") + e.what());
  }
  return c;
}

void validate_store_config(const std::string& preset, const nlohmann::json& store_opts, int nodes) {
  std::vector<NodeAddress> members;
  for (int i = 1; i <= nodes; ++i) members.push_back({"n" + std::to_string(i), "127.0.0.1", 7000 + i});
  node_config(preset, store_opts, members, members[0], "/nonexistent");
}

std::string log_tail(const fs::path& path, int lines) {
  std::ifstream in(path);
  if (!in) return "(no log at " + path.string() + ")";
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += "  | " + l + "\n";
  return out.empty() ? "(empty log " + path.string() + ")" : out;
}

}  // namespace faultline::harness
