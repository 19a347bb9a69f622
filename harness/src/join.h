// "a, b, c" from {"a", "b", "c"}: messages and log lines list things.
#ifndef FAULTLINE_HARNESS_SRC_JOIN_H_
#define FAULTLINE_HARNESS_SRC_JOIN_H_

#include <string>
#include <vector>

namespace faultline::harness {

inline std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_SRC_JOIN_H_
