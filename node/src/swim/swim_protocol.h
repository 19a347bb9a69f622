// SWIM with Lifeguard as a pure, deterministic state machine.
//
// SwimNode never touches a socket, a thread or a clock: the driver (the
// node's UDP loop, or the simulator) passes `now` into every call, hands it
// incoming packets, calls tick() when next_deadline() is reached, and
// carries out what it emits through SwimEnv. With the same seed, the same
// inputs give the same outputs, which is what lets the simulator run this
// exact code for 10,000 members.
//
// One protocol period: probe one member (round-robin over a list reshuffled
// at every pass); no ack within the probe timeout -> ping-req through k
// others (they answer nack if they get no ack either, Lifeguard); no ack by
// the end of the period, or every helper said nack -> suspect. Updates are
// piggybacked on every packet (up to max_packet bytes) and, while any are
// queued, also gossiped every gossip_interval to gossip_fanout members.
// Each suspicion runs a Lifeguard timer (suspicion.h); the suspect is told
// directly. Probe timeouts and the period scale with local health
// (awareness.h). A periodic push-pull exchange of full views (over a
// stream) repairs lost updates and healed partitions.
#ifndef FAULTLINE_NODE_SWIM_PROTOCOL_H_
#define FAULTLINE_NODE_SWIM_PROTOCOL_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "swim/awareness.h"
#include "swim/retransmit_queue.h"
#include "swim/suspicion.h"
#include "swim/swim_state.h"
#include "swim/swim_wire.h"

namespace faultline::node::swim {

struct SwimCounters {
  std::array<std::uint64_t, kMsgTypes> sent{}, received{};
  std::uint64_t bytes_sent = 0, bytes_received = 0;
  std::uint64_t bad_packets = 0;
  std::uint64_t suspicions_raised = 0;   // by this node's own failed probes
  std::uint64_t refuted = 0;             // suspicions/deaths about this node it refuted
  std::uint64_t deaths_declared = 0;     // by this node's own suspicion timers
  std::uint64_t false_deaths = 0;        // members this node saw dead that came back alive
  std::uint64_t packets_over_limit = 0;  // must stay 0: every datagram <= max_packet
};

// What a SwimNode asks of its driver.
class SwimEnv {
 public:
  virtual ~SwimEnv() = default;
  // One datagram (<= max_packet bytes) to a member (resolve its address via Names).
  virtual void send(MemberIdx to, std::string bytes) = 0;
  // A push-pull message, possibly large, over a reliable stream.
  virtual void send_stream(MemberIdx to, std::string bytes) = 0;
  // A member's state changed in this node's view (also first sight).
  virtual void on_change(MemberIdx member, Status now, Incarnation inc, Time at) = 0;
};

struct MemberView {
  MemberIdx member;
  Status status;
  Incarnation incarnation;
  Time since;
};

class SwimNode {
 public:
  SwimNode(SwimConfig config, std::shared_ptr<Names> names, MemberIdx self, std::uint64_t seed, SwimEnv& env);

  // Starts with `members` (self included or not) known alive at incarnation 0,
  // as a converged cluster would be; used by the simulator at scale and by
  // nodes whose config lists the members.
  void bootstrap(const std::vector<MemberIdx>& members, Time now);
  // Joins through seeds: a push-pull (join) to each; safe to call again.
  void join(const std::vector<MemberIdx>& seeds, Time now);
  // Graceful leave: announces left(self) to a few members and stops probing.
  void leave(Time now);

  void receive(Time now, std::string_view bytes, bool from_stream);
  void tick(Time now);
  Time next_deadline() const;

  Status status_of(MemberIdx m) const;
  bool known(MemberIdx m) const { return m < table_.size() && table_[m].known; }
  Incarnation incarnation_of(MemberIdx m) const { return m < table_.size() ? table_[m].inc : 0; }
  std::vector<MemberView> view() const;
  std::size_t live_count() const { return live_; }
  const SwimCounters& counters() const { return counters_; }
  int awareness() const { return awareness_.score(); }
  int retransmit_limit() const;
  std::size_t queued_updates() const { return queue_.size(); }
  Time min_suspicion_timeout() const;
  MemberIdx self() const { return self_; }
  const Names& names() const { return *names_; }

 private:
  struct Entry {
    Incarnation inc = 0;
    Status status = Status::kAlive;
    bool known = false;
    Time since = 0;
  };
  struct Probe {
    MemberIdx target;
    std::uint64_t seq;
    Time ack_deadline;  // then ping-req
    Time period_end;    // then suspect
    bool indirect_sent = false;
    int expected_nacks = 0;
    int nacks = 0;
  };
  struct Relay {  // a ping-req this node is helping with
    MemberIdx requester;
    std::uint64_t requester_seq;
    Time nack_at;
    Time expire_at;
    bool nacked = false;
  };

  Entry& entry(MemberIdx m);
  // Applies an update through the override rules; returns true if it changed the view.
  bool apply(const Update& u, Time now, bool from_push_pull);
  void set_state(MemberIdx m, Status s, Incarnation inc, Time now);
  void broadcast(const Update& u);
  void send_urgent(const Update& u);
  void refute(Incarnation seen, Time now);
  void start_suspicion(MemberIdx m, MemberIdx accuser, Time now);

  void start_probe(Time now);
  void probe_failed(Time now);
  void send_packet(MemberIdx to, Packet p, bool piggyback = true);
  void send_push_pull(MemberIdx to, bool reply, bool join);
  std::vector<MemberIdx> random_live(std::size_t k, const std::vector<MemberIdx>& exclude);
  std::optional<MemberIdx> next_probe_target();
  void handle(const Packet& p, Time now, bool from_stream);
  void tell_if_behind(MemberIdx from, Time now);
  void answer_accuser(MemberIdx accuser, Time now);

  SwimConfig cfg_;
  std::shared_ptr<Names> names_;
  MemberIdx self_;
  std::mt19937_64 rng_;
  SwimEnv& env_;

  std::vector<Entry> table_;  // by MemberIdx
  std::vector<MemberIdx> others_;  // every known member but self, in order first seen
  std::size_t live_ = 0;           // alive + suspect, self included
  RetransmitQueue queue_;
  Awareness awareness_;
  SwimCounters counters_;
  bool started_ = false;
  bool leaving_ = false;

  std::vector<MemberIdx> probe_order_;
  std::size_t probe_pos_ = 0;
  std::optional<Probe> probe_;
  Time next_probe_ = 0;
  Time next_gossip_ = 0;
  Time next_push_pull_ = 0;
  std::uint64_t next_seq_ = 1;
  std::map<std::uint64_t, Relay> relays_;  // by the seq this node used
  std::map<MemberIdx, Suspicion> suspicions_;
  std::set<std::pair<Time, MemberIdx>> suspicion_deadlines_;
  std::map<MemberIdx, Time> told_;  // last time this node told a member it was suspect/dead
  std::map<MemberIdx, Time> dead_since_;  // for gossip_to_dead
  std::map<MemberIdx, Time> answered_;  // last time this node sent an accuser its refutation
  bool refuted_dead_ = false;  // set by refute() of a dead verdict, read by handle()
  Time last_rejoin_sync_ = INT64_MIN / 2;
};

}  // namespace faultline::node::swim

#endif  // FAULTLINE_NODE_SWIM_PROTOCOL_H_
