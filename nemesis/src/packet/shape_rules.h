// The packet-filter rules that send a shaper's destinations to its NFQUEUE
// queue, through nft (preferred) or iptables (where nft is missing).
#ifndef FAULTLINE_NEMESIS_SRC_SHAPE_RULES_H_
#define FAULTLINE_NEMESIS_SRC_SHAPE_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "packet/shaper.h"
#include "faultline/process/status.h"

namespace faultline::nemesis::detail {

// Installs rules for `destinations` → queue `queue` with bypass, replacing any
// left by an earlier shaper of the same queue. `*used` says which tool did it.
process::Status install_shape_rules(ShapeRules wanted, std::uint16_t queue, const std::vector<std::string>& destinations,
                           ShapeRules* used);
process::Status remove_shape_rules_with(ShapeRules used, std::uint16_t queue);

}  // namespace faultline::nemesis::detail

#endif  // FAULTLINE_NEMESIS_SRC_SHAPE_RULES_H_
