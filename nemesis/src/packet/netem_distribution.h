// netem delay distribution tables: the integers of a tc .dist file
// (iproute2's normal, pareto, paretonormal, experimental), which netem uses
// to shape the jitter around the delay instead of a uniform spread.
//
// Why our own loader: libnl's rtnl_netem_set_delay_distribution() only looks
// in /usr/lib/tc, /usr/lib64/tc and /usr/local/lib/tc, while Debian installs
// the tables to the multiarch /usr/lib/<triplet>/tc. The table read here is
// handed to libnl with rtnl_netem_set_delay_distribution_data().
#ifndef FAULTLINE_NEMESIS_NETEM_DISTRIBUTION_H_
#define FAULTLINE_NEMESIS_NETEM_DISTRIBUTION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "faultline/process/status.h"

namespace faultline::nemesis {

// The kernel refuses larger tables (NETEM_DIST_MAX in sch_netem.c).
inline constexpr std::size_t kNetemDistributionMax = 16384;

struct DistributionTable {
  std::string path;  // where it was read from
  std::vector<std::int16_t> values;
};

// A bare name ("normal") is looked for as <dir>/<name>.dist in
// distribution_directories(); a name with a '/' is a path. Fails with the
// places tried, or the line and token that is not a 16-bit integer.
process::Status load_distribution(const std::string& name_or_path, DistributionTable* out);

// Directories searched for a bare name, in order: $FAULTLINE_TC_DIST_DIR if
// set, then /usr/lib/<multiarch>/tc, /usr/lib/tc, /usr/lib64/tc,
// /usr/local/lib/tc.
std::vector<std::string> distribution_directories();

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_NETEM_DISTRIBUTION_H_
