// SWIM member states, incarnation numbers and the override rules that decide
// whether an update about a member replaces what a node believes.
//
// Rules (SWIM, Das et al. 2002, with memberlist's treatment of dead):
//   alive(j)   beats any state with incarnation < j;
//   suspect(j) beats alive(<= j), suspect(< j), dead/left(< j);
//   dead(j)    beats alive(<= j), suspect(<= j), dead(< j), left(< j);
//   left(j)    like dead, and also beats dead(j) (a graceful leave is final).
// A dead verdict about an *older* incarnation never kills a member that has
// since come back with a higher one: that is how a member seen alive again
// rejoins.
#ifndef FAULTLINE_NODE_SWIM_STATE_H_
#define FAULTLINE_NODE_SWIM_STATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "faultline/node/membership_config.h"  // Time, MemberIdx

namespace faultline::node::swim {

using Incarnation = std::uint32_t;

enum class Status : std::uint8_t { kAlive = 0, kSuspect = 1, kDead = 2, kLeft = 3 };
std::string_view to_string(Status s);
inline bool is_live(Status s) { return s == Status::kAlive || s == Status::kSuspect; }

// True if an update (incoming, in_inc) replaces the current belief (current, cur_inc).
bool overrides(Status incoming, Incarnation in_inc, Status current, Incarnation cur_inc);

// Member names interned to dense indices, with the address each was last
// announced at. One table per process (a node) or per simulation (shared by
// every simulated member, which keeps 10,000 full views in memory).
class Names {
 public:
  MemberIdx intern(std::string_view name);
  std::optional<MemberIdx> find(std::string_view name) const;
  const std::string& name(MemberIdx i) const { return names_[i]; }
  const std::string& addr(MemberIdx i) const { return addrs_[i]; }
  void set_addr(MemberIdx i, std::string_view a) {
    if (addrs_[i] != a) addrs_[i] = std::string(a);
  }
  std::size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  std::vector<std::string> addrs_;
  std::unordered_map<std::string, MemberIdx> index_;
};

// One piece of gossip: "member is <status> at incarnation, says from".
struct Update {
  Status status = Status::kAlive;
  MemberIdx member = 0;
  Incarnation incarnation = 0;
  MemberIdx from = 0;
  friend bool operator==(const Update&, const Update&) = default;
};

}  // namespace faultline::node::swim

#endif  // FAULTLINE_NODE_SWIM_STATE_H_
