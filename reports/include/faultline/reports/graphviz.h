// Graphviz rendered in process through libgvc: reports draw rings,
// partitions and anomaly graphs without needing a `dot` binary at the end of
// a long run.
#ifndef FAULTLINE_REPORTS_GRAPHVIZ_H_
#define FAULTLINE_REPORTS_GRAPHVIZ_H_

#include <stdexcept>
#include <string>

namespace faultline::reports {

// A DOT syntax error, an unknown layout or a failed render; what() carries
// Graphviz's own message.
class GraphvizError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Lays out `dot` (a DOT graph) with the given engine ("dot", "neato", ...)
// and returns the SVG document. Thread-safe (libgvc is not: calls are
// serialised).
std::string render_dot_to_svg(const std::string& dot, const std::string& layout = "dot");

// The libgvc version in use, e.g. "2.42.2".
std::string graphviz_version();

}  // namespace faultline::reports

#endif  // FAULTLINE_REPORTS_GRAPHVIZ_H_
