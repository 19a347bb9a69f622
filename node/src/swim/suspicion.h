// Lifeguard's dynamic suspicion timeout for one suspected member.
//
// The timer starts at `max` and shrinks towards `min` as independent members
// confirm the suspicion: after c of the k expected confirmations it is
//   max - (max - min) * log(c + 1) / log(k + 1),
// never below min. A lone (possibly unhealthy) accuser thus waits long, a
// suspicion that many confirm is acted on quickly. Confirmations from the
// original accuser or repeated ones do not count.
#ifndef FAULTLINE_NODE_SUSPICION_H_
#define FAULTLINE_NODE_SUSPICION_H_

#include <vector>

#include "swim/swim_state.h"

namespace faultline::node::swim {

class Suspicion {
 public:
  // k < 1 means no confirmations are expected: the timeout is min at once.
  Suspicion(MemberIdx accuser, int k, Time min, Time max, Time start);

  // Records an independent confirmation; false if `from` already counted
  // (or is the accuser), or if k confirmations were reached already.
  bool confirm(MemberIdx from);

  int confirmations() const { return static_cast<int>(confirmers_.size()) - 1; }
  Time deadline() const { return start_ + timeout(confirmations(), k_, min_, max_); }

  static Time timeout(int confirmations, int k, Time min, Time max);

 private:
  int k_;
  Time min_, max_, start_;
  std::vector<MemberIdx> confirmers_;  // the accuser first
};

}  // namespace faultline::node::swim

#endif  // FAULTLINE_NODE_SUSPICION_H_
