#include "swim/membership.h"

namespace faultline::node {

std::string_view to_string(Liveness l) {
  switch (l) {
    case Liveness::kAlive: return "alive";
    case Liveness::kSuspect: return "suspect";
    case Liveness::kDead: return "dead";
  }
  return "?";
}

StaticMembership::StaticMembership(std::vector<Member> members, std::string self, int unreachable_after)
    : members_(std::move(members)), self_(std::move(self)), unreachable_after_(unreachable_after) {
  for (const auto& m : members_) state_[m.id] = Liveness::kAlive;
}

Liveness StaticMembership::state(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = state_.find(id);
  return it == state_.end() ? Liveness::kDead : it->second;
}

void StaticMembership::subscribe(Listener listener) {
  std::lock_guard lock(mu_);
  listeners_.push_back(std::move(listener));
}

void StaticMembership::report_failure(const std::string& id) {
  std::unique_lock lock(mu_);
  if (id == self_ || !state_.count(id)) return;
  const int f = ++failures_[id];
  if (f == 1) down_since_[id] = std::chrono::steady_clock::now();
  // One failure makes a peer suspect (still tried); `unreachable_after` in a
  // row make it dead (skipped by coordinators, hinted instead).
  set(id, f >= unreachable_after_ ? Liveness::kDead : Liveness::kSuspect, lock);
}

void StaticMembership::report_success(const std::string& id) {
  std::unique_lock lock(mu_);
  if (!state_.count(id)) return;
  failures_[id] = 0;
  down_since_.erase(id);
  set(id, Liveness::kAlive, lock);
}

std::optional<std::chrono::milliseconds> StaticMembership::down_for(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = down_since_.find(id);
  if (it == down_since_.end()) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - it->second);
}

void StaticMembership::set(const std::string& id, Liveness to, std::unique_lock<std::mutex>& lock) {
  if (state_[id] == to) return;
  state_[id] = to;
  auto listeners = listeners_;
  lock.unlock();
  for (auto& l : listeners) l(id, to);
}

}  // namespace faultline::node
