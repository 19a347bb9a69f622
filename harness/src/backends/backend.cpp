// make_backend(), known_backends(), default_state_dir() and the checks the
// backends share.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <stdexcept>

#include "backends/backends.h"
#include "faultline/harness/backend.h"
#include "backends/run_removal.h"

namespace faultline::harness {

const std::vector<std::string>& known_backends() {
  static const std::vector<std::string> kinds{"netns", "ssh", "local"};
  return kinds;
}

std::filesystem::path default_state_dir() {
  if (::geteuid() == 0) return "/run/faultline";
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0') {
    return std::filesystem::path(xdg) / "faultline";
  }
  return std::filesystem::temp_directory_path() / ("faultline-" + std::to_string(::geteuid()));
}

void check_node_names(const std::vector<std::string>& names, std::size_t max_nodes) {
  if (names.empty()) throw std::invalid_argument("backend create: no nodes given");
  if (names.size() > max_nodes) {
    throw std::invalid_argument("backend create: " + std::to_string(names.size()) + " nodes, at most " +
                                std::to_string(max_nodes) + " supported");
  }
  std::set<std::string> seen;
  for (const auto& n : names) {
    const bool ok = !n.empty() && n.size() <= 32 && std::all_of(n.begin(), n.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    if (!ok) throw std::invalid_argument("backend create: bad node name '" + n + "' (expected 1-32 of [A-Za-z0-9_-])");
    if (!seen.insert(n).second) throw std::invalid_argument("backend create: node name '" + n + "' given twice");
  }
}

std::vector<std::string> Backend::node_command(const std::string& node, const std::vector<std::string>& argv) const {
  const std::string ns = net_namespace(node);
  if (ns.empty()) return {};
  std::vector<std::string> out = {"ip", "netns", "exec", ns};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::filesystem::path Backend::node_data_dir(const std::string&, const std::filesystem::path& local) const {
  return local;
}

std::unique_ptr<Backend> make_backend(const std::string& kind, const BackendOptions& options) {
  if (!valid_run_id(options.run_id)) {
    throw std::invalid_argument("backend: bad run id '" + options.run_id + "' (expected 1-8 characters of [a-z0-9])");
  }
  if (kind == "netns") return make_netns_backend(options);
  if (kind == "local") return make_local_backend(options);
  if (kind == "ssh") return make_ssh_backend(options);
  std::string known;
  for (const auto& k : known_backends()) known += (known.empty() ? "" : ", ") + k;
  throw std::invalid_argument("unknown backend '" + kind + "' (known: " + known + ")");
}

}  // namespace faultline::harness
