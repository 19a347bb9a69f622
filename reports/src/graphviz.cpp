#include "faultline/reports/graphviz.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <memory>
#include <mutex>

namespace faultline::reports {
namespace {

std::mutex& gvc_mutex() {
  static std::mutex m;
  return m;
}

// Graphviz reports errors through a process-wide callback; collect them for
// the exception instead of letting them reach stderr.
std::string& captured_errors() {
  static std::string text;
  return text;
}

int capture_error(char* message) {
  if (message != nullptr) captured_errors() += message;
  return 0;
}

std::string take_errors(const std::string& fallback) {
  std::string text = captured_errors();
  captured_errors().clear();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.empty() ? fallback : text;
}

struct ContextDeleter {
  void operator()(GVC_t* gvc) const { gvFreeContext(gvc); }
};

}  // namespace

std::string render_dot_to_svg(const std::string& dot, const std::string& layout) {
  std::lock_guard<std::mutex> lock(gvc_mutex());
  captured_errors().clear();
  agseterrf(capture_error);
  std::unique_ptr<GVC_t, ContextDeleter> gvc(gvContext());
  if (!gvc) throw GraphvizError("graphviz: gvContext() failed");
  Agraph_t* graph = agmemread(dot.c_str());
  if (graph == nullptr) throw GraphvizError("graphviz: cannot parse DOT: " + take_errors("syntax error"));
  if (gvLayout(gvc.get(), graph, layout.c_str()) != 0) {
    agclose(graph);
    throw GraphvizError("graphviz: layout '" + layout + "' failed: " + take_errors("unknown layout engine?"));
  }
  char* data = nullptr;
  unsigned int length = 0;
  int rc = gvRenderData(gvc.get(), graph, "svg", &data, &length);
  std::string svg;
  if (rc == 0 && data != nullptr) svg.assign(data, length);
  if (data != nullptr) gvFreeRenderData(data);
  gvFreeLayout(gvc.get(), graph);
  agclose(graph);
  if (rc != 0 || svg.empty()) throw GraphvizError("graphviz: SVG rendering failed: " + take_errors("no svg plugin?"));
  captured_errors().clear();
  return svg;
}

std::string graphviz_version() {
  std::lock_guard<std::mutex> lock(gvc_mutex());
  std::unique_ptr<GVC_t, ContextDeleter> gvc(gvContext());
  if (!gvc) return "unknown";
  const char* v = gvcVersion(gvc.get());
  return v != nullptr ? v : "unknown";
}

}  // namespace faultline::reports
