// Lifeguard's local health multiplier ("awareness", Dadgar et al. 2018).
//
// A node whose own probes go unanswered (missed acks, missing nacks from the
// members it asked to help) or that has to refute suspicions about itself is
// more likely the slow one than its peers are. Each such event raises the
// score, each successful probe lowers it; probe timeouts and the probe
// interval are multiplied by (score + 1), so a paused or overloaded node
// stops accusing healthy peers until it is healthy again.
#ifndef FAULTLINE_NODE_AWARENESS_H_
#define FAULTLINE_NODE_AWARENESS_H_

#include <algorithm>

#include "swim/swim_state.h"

namespace faultline::node::swim {

class Awareness {
 public:
  // Scores range over [0, max - 1]; max = 1 disables the multiplier.
  explicit Awareness(int max) : max_(std::max(1, max)) {}

  void apply(int delta) { score_ = std::clamp(score_ + delta, 0, max_ - 1); }
  int score() const { return score_; }
  Time scale(Time t) const { return t * (score_ + 1); }

 private:
  int max_;
  int score_ = 0;
};

}  // namespace faultline::node::swim

#endif  // FAULTLINE_NODE_AWARENESS_H_
