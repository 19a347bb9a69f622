#include "faultline/reports/graphviz.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace faultline::reports {
namespace {

TEST(Graphviz, RendersNodesAndEdgesToSvg) {
  std::string svg = render_dot_to_svg("digraph ring { n1 -> n2 -> n3 -> n1; n2 [label=\"node two\"]; }");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("node two"), std::string::npos);
  EXPECT_NE(svg.find("n3"), std::string::npos);
}

TEST(Graphviz, EscapesTextFromLabels) {
  std::string svg = render_dot_to_svg("digraph { a [label=\"x < y & z\"]; }");
  EXPECT_NE(svg.find("x &lt; y &amp; z"), std::string::npos);
}

TEST(Graphviz, OtherLayoutEngine) {
  std::string svg = render_dot_to_svg("graph { a -- b -- c -- a; }", "neato");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
}

TEST(Graphviz, SyntaxErrorThrowsWithGraphvizMessage) {
  try {
    render_dot_to_svg("digraph { a -> ; }");
    FAIL() << "expected GraphvizError";
  } catch (const GraphvizError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot parse DOT"), std::string::npos) << e.what();
  }
  // The parser recovers: the next graph still renders.
  EXPECT_NE(render_dot_to_svg("digraph { ok; }").find("<svg"), std::string::npos);
}

TEST(Graphviz, UnknownLayoutThrows) {
  EXPECT_THROW(render_dot_to_svg("digraph { a; }", "no-such-engine"), GraphvizError);
  EXPECT_NE(render_dot_to_svg("digraph { a; }").find("<svg"), std::string::npos);
}

TEST(Graphviz, ConcurrentCallsAreSerialised) {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([i, &ok] {
      for (int j = 0; j < 5; ++j) {
        std::string dot = "digraph { t" + std::to_string(i) + " -> r" + std::to_string(j) + "; }";
        if (render_dot_to_svg(dot).find("<svg") != std::string::npos) ++ok[i];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int v : ok) EXPECT_EQ(v, 5);
}

TEST(Graphviz, ReportsAVersion) { EXPECT_FALSE(graphviz_version().empty()); }

}  // namespace
}  // namespace faultline::reports
