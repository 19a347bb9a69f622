// The membership seam: who is in the cluster and whether each member is
// alive, suspect or dead, with a notification on every change.
//
// Today's implementation is StaticMembership: the member list comes from the
// config and liveness from the data path itself (a peer that fails
// `unreachable_after` calls in a row is dead; any success makes it alive
// again). SwimMembership (swim_membership.h) is the other implementation,
// chosen by the `membership` config key; the coordinator and the hint
// replayer only use this interface.
//
// Invariants: members() never changes in StaticMembership; a listener is
// called once per state change, after the change, outside the lock.
#ifndef FAULTLINE_NODE_MEMBERSHIP_H_
#define FAULTLINE_NODE_MEMBERSHIP_H_

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/node/config.h"

namespace faultline::node {

enum class Liveness { kAlive, kSuspect, kDead };
std::string_view to_string(Liveness l);

class Membership {
 public:
  using Listener = std::function<void(const std::string& id, Liveness now)>;
  virtual ~Membership() = default;

  virtual std::vector<Member> members() const = 0;
  virtual Liveness state(const std::string& id) const = 0;
  virtual void subscribe(Listener listener) = 0;

  // Evidence from the data path: a call to `id` failed (error or timeout) or
  // succeeded. SWIM may weigh these differently; the static view counts them.
  virtual void report_failure(const std::string& id) = 0;
  virtual void report_success(const std::string& id) = 0;

  // Detectors with a life of their own (SWIM) start with the node and
  // leave the cluster when it stops; the static view needs neither.
  virtual void start() {}
  virtual void stop() {}
  // Extra status for the node's status reply (view details, counters).
  virtual nlohmann::json describe() const { return nlohmann::json::object(); }
  // A detector's own message that arrived on the node's TCP port (SWIM's
  // push-pull, swim_stream.h); returns the reply frame. The static view has none.
  virtual nlohmann::json on_stream_message(const nlohmann::json& message) {
    return {{"id", message.contains("id") ? message["id"] : nlohmann::json()},
            {"ok", false},
            {"error", "unknown_op"},
            {"message", "this node's membership mode takes no stream messages"}};
  }

  // How long `id` has been down in this view: since it was last alive
  // (suspect or dead since), or nullopt while alive. The coordinator creates
  // no hints for an owner down longer than hint_window_ms (Cassandra's
  // max_hint_window): past that, repair, not hints, must bring it back.
  virtual std::optional<std::chrono::milliseconds> down_for(const std::string& id) const = 0;

  bool usable(const std::string& id) const { return state(id) != Liveness::kDead; }
};

class StaticMembership final : public Membership {
 public:
  // `self` is always alive: a node never declares itself dead.
  StaticMembership(std::vector<Member> members, std::string self, int unreachable_after);

  std::vector<Member> members() const override { return members_; }
  Liveness state(const std::string& id) const override;
  void subscribe(Listener listener) override;
  void report_failure(const std::string& id) override;
  void report_success(const std::string& id) override;
  // Since the first failed call of the current run of failures.
  std::optional<std::chrono::milliseconds> down_for(const std::string& id) const override;

 private:
  void set(const std::string& id, Liveness to, std::unique_lock<std::mutex>& lock);

  const std::vector<Member> members_;
  const std::string self_;
  const int unreachable_after_;
  mutable std::mutex mu_;
  std::map<std::string, Liveness> state_;
  std::map<std::string, int> failures_;  // consecutive
  std::map<std::string, std::chrono::steady_clock::time_point> down_since_;  // first of those failures
  std::vector<Listener> listeners_;
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_MEMBERSHIP_H_
