#include "swim/swim_state.h"

namespace faultline::node::swim {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::kAlive: return "alive";
    case Status::kSuspect: return "suspect";
    case Status::kDead: return "dead";
    case Status::kLeft: return "left";
  }
  return "?";
}

bool overrides(Status incoming, Incarnation in_inc, Status current, Incarnation cur_inc) {
  switch (incoming) {
    case Status::kAlive:
      return in_inc > cur_inc;
    case Status::kSuspect:
      return current == Status::kAlive ? in_inc >= cur_inc : in_inc > cur_inc;
    case Status::kDead:
      return is_live(current) ? in_inc >= cur_inc : in_inc > cur_inc;
    case Status::kLeft:
      if (current == Status::kLeft) return in_inc > cur_inc;
      return in_inc >= cur_inc;
  }
  return false;
}

MemberIdx Names::intern(std::string_view name) {
  auto it = index_.find(std::string(name));
  if (it != index_.end()) return it->second;
  const auto i = static_cast<MemberIdx>(names_.size());
  names_.emplace_back(name);
  addrs_.emplace_back();
  index_.emplace(std::string(name), i);
  return i;
}

std::optional<MemberIdx> Names::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

}  // namespace faultline::node::swim
