// Which checkers and guarantees each workload gets under each store preset
// (node/PRESETS.md). Private to faultline_workloads.
#ifndef FAULTLINE_WORKLOADS_SRC_CHECK_PLAN_H_
#define FAULTLINE_WORKLOADS_SRC_CHECK_PLAN_H_

#include <string>
#include <vector>

#include "faultline/workloads/workload.h"

namespace faultline::workloads::detail {

// The presets node/PRESETS.md documents.
const std::vector<std::string>& known_presets();

// Throws std::invalid_argument naming an unknown preset (and the known ones).
void require_known_preset(const std::string& preset);

// `workload` is "register" or "set".
CheckPlan plan_for(const std::string& workload, const std::string& preset);

}  // namespace faultline::workloads::detail

#endif  // FAULTLINE_WORKLOADS_SRC_CHECK_PLAN_H_
