#include "latency_quantiles.h"

#include <algorithm>
#include <cmath>

namespace faultline::check::detail {

history::Json quantiles(std::vector<double>& values) {
  if (values.empty()) return nullptr;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  auto at = [&](double q) {
    const auto idx = static_cast<std::size_t>(std::floor(static_cast<double>(n) * q));
    return values[std::min(n - 1, idx)];
  };
  return history::Json{{"0", at(0)}, {"0.5", at(0.5)}, {"0.95", at(0.95)}, {"0.99", at(0.99)}, {"1", at(1)}};
}

}  // namespace faultline::check::detail
