// make_workload: option checks shared by every workload, then the workload.
#include "faultline/workloads/workload.h"

#include <cmath>
#include <set>
#include <stdexcept>

#include "check_plan.h"
#include "register_workload.h"
#include "set_workload.h"

namespace faultline::workloads {
namespace {

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument("workload options: " + what); }

void validate(const WorkloadOptions& o) {
  if (o.nodes.empty()) bad("nodes: at least one node is needed");
  std::set<std::string> names;
  for (std::size_t i = 0; i < o.nodes.size(); ++i) {
    const auto& n = o.nodes[i];
    const std::string where = "nodes[" + std::to_string(i) + "]";
    if (n.node.empty()) bad(where + ".node: empty node name");
    if (!names.insert(n.node).second) bad(where + ".node: node name \"" + n.node + "\" appears twice");
    const auto colon = n.address.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == n.address.size())
      bad(where + ".address: \"" + n.address + "\" is not host:port");
  }
  if (o.concurrency < 0) bad("concurrency must be >= 0 (0 = 2 per node), got " + std::to_string(o.concurrency));
  if (!std::isfinite(o.rate) || o.rate < 0) bad("rate must be a finite number >= 0 ops/s (0 = unlimited), got " + std::to_string(o.rate));
  if (o.time_limit.count() <= 0) bad("time_limit must be > 0 ms, got " + std::to_string(o.time_limit.count()));
  if (o.op_timeout.count() <= 0) bad("op_timeout must be > 0 ms, got " + std::to_string(o.op_timeout.count()));
  if (o.ops_per_key < 1) bad("ops_per_key must be >= 1, got " + std::to_string(o.ops_per_key));
  if (o.live_keys < 0) bad("live_keys must be >= 0 (0 = one per worker), got " + std::to_string(o.live_keys));
  if (o.read_fraction && !(*o.read_fraction >= 0 && *o.read_fraction <= 1))
    bad("read_fraction must be within [0, 1], got " + std::to_string(*o.read_fraction));
  if (!(o.delete_fraction >= 0 && o.delete_fraction <= 1))
    bad("delete_fraction must be within [0, 1], got " + std::to_string(o.delete_fraction));
  try {
    detail::require_known_preset(o.preset);
  } catch (const std::invalid_argument& e) {
    bad(e.what());
  }
}

}  // namespace

const std::vector<std::string>& known_workloads() {
  static const std::vector<std::string> names = {"register", "set"};
  return names;
}

std::unique_ptr<Workload> make_workload(const std::string& name, const WorkloadOptions& options) {
  if (name != "register" && name != "set") {
    std::string known;
    for (const auto& w : known_workloads()) known += (known.empty() ? "" : ", ") + w;
    throw std::invalid_argument("workload: unknown workload \"" + name + "\" (known: " + known + ")");
  }
  validate(options);
  if (name == "register") return std::make_unique<detail::RegisterWorkload>(options);
  return std::make_unique<detail::SetWorkload>(options);
}

}  // namespace faultline::workloads
