// Graphviz DOT for the report's diagrams (rendered by graphviz.h) and the
// small per-anomaly SVG timeline.
#ifndef FAULTLINE_REPORTS_DIAGRAMS_H_
#define FAULTLINE_REPORTS_DIAGRAMS_H_

#include <string>
#include <vector>

#include "faultline/reports/report_model.h"

namespace faultline::reports {

// Who can still reach whom during a partition window, from its grudge
// ({node: [nodes it drops]}): a plain edge where both directions flow, a red
// dashed arrow where only one does. "" when the window has no grudge.
std::string partition_dot(const FaultWindow& window, const std::vector<std::string>& cluster);

// The witness ops of a register anomaly: an edge a -> b when a completed
// before b began (transitively reduced), and a dashed "read" edge from a
// write to a read that returned its value. "" with fewer than two ops.
std::string precedence_dot(const AnomalyView& anomaly);

// The witness ops as bars on their processes, fault windows shaded behind.
std::string anomaly_timeline_svg(const AnomalyView& anomaly);

// Strips Graphviz's XML prolog and DOCTYPE so the SVG can sit inline.
std::string inline_svg(const std::string& svg);

}  // namespace faultline::reports

#endif  // FAULTLINE_REPORTS_DIAGRAMS_H_
