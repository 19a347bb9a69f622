// The faultline-node side of a run (Jepsen's Db): where the binary is, and
// each node's config file built from the preset, the member list the backend
// assigned, and --store-opt overrides. Validated in process with the node's
// own config code, so a bad preset or option is refused before anything starts.
#ifndef FAULTLINE_HARNESS_NODE_LAUNCH_H_
#define FAULTLINE_HARNESS_NODE_LAUNCH_H_

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/harness/backend.h"

namespace faultline::harness {

// FAULTLINE_NODE_BINARY, else beside this executable (install layout) or in
// ../node/ (build tree), else PATH. Empty if none is found.
std::filesystem::path find_node_binary();
// faultline-agent (packet faults inside node namespaces) the same way, with
// FAULTLINE_AGENT_BINARY and ../nemesis/.
std::filesystem::path find_agent_binary();

// "key=value" pairs as a JSON object; values parse as JSON (numbers, true,
// false) when they can, else they are strings. Throws std::invalid_argument
// naming the malformed pair.
nlohmann::json parse_store_opts(const std::vector<std::string>& opts);

// The config of `self` in a cluster of `members`. Throws std::invalid_argument
// with the node's own error (unknown key, bad value, unknown preset).
nlohmann::json node_config(const std::string& preset, const nlohmann::json& store_opts,
                           const std::vector<NodeAddress>& members, const NodeAddress& self,
                           const std::filesystem::path& data_dir);

// Checks preset and options for a cluster of `nodes` members before any
// exists (stand-in addresses), so e.g. N=3 on 2 nodes is refused up front.
void validate_store_config(const std::string& preset, const nlohmann::json& store_opts, int nodes);

// The last `lines` lines of a log file, for error messages.
std::string log_tail(const std::filesystem::path& path, int lines = 20);

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_NODE_LAUNCH_H_
