// The controller's side of `faultline-agent shape`: the command line for a
// ShaperOptions, and the two lines the agent prints — the ready line once its
// rules are in place, and the stats line when it stops. Kept beside the
// agent's flags so the two cannot drift apart (shape_agent_test checks the
// round trip, shaper_itest that the agent accepts what this builds).
#ifndef FAULTLINE_NEMESIS_SHAPE_AGENT_H_
#define FAULTLINE_NEMESIS_SHAPE_AGENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "packet/shaper.h"

namespace faultline::nemesis {

// "shape --queue N --dst A,B --delay-ms ..." (without the agent's path), with
// only the flags that differ from the agent's defaults. `duration_s` > 0 adds
// --duration-s (a safety net should the controller vanish).
std::vector<std::string> shape_agent_args(const ShaperOptions& options, double duration_s = 0);

// The ready line: "shaping queue=N dst=A,B mechanism=nfqueue rules=iptables".
struct ShapeReady {
  std::uint16_t queue = 0;
  std::vector<std::string> destinations;
  std::string mechanism;  // "nfqueue"
  std::string rules;      // "nft" or "iptables"
};
std::optional<ShapeReady> parse_shape_ready_line(std::string_view line);

// The stats line: "stopped queue=N seen=.. passed=.. ..." (ShaperStats::describe).
std::optional<ShaperStats> parse_shaper_stats_line(std::string_view line);

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_SHAPE_AGENT_H_
