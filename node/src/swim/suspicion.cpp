#include "swim/suspicion.h"

#include <algorithm>
#include <cmath>

namespace faultline::node::swim {

Suspicion::Suspicion(MemberIdx accuser, int k, Time min, Time max, Time start)
    : k_(std::max(0, k)), min_(min), max_(std::max(min, max)), start_(start), confirmers_{accuser} {}

bool Suspicion::confirm(MemberIdx from) {
  if (confirmations() >= k_) return false;
  if (std::find(confirmers_.begin(), confirmers_.end(), from) != confirmers_.end()) return false;
  confirmers_.push_back(from);
  return true;
}

Time Suspicion::timeout(int confirmations, int k, Time min, Time max) {
  if (k < 1 || confirmations >= k) return min;
  const double frac = std::log(confirmations + 1.0) / std::log(k + 1.0);
  const auto t = static_cast<Time>(static_cast<double>(max) - frac * static_cast<double>(max - min));
  // Whole milliseconds: the same inputs give the same deadline everywhere.
  return std::max(min, t / kMillis * kMillis);
}

}  // namespace faultline::node::swim
