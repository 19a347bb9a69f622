// The centralized heartbeat detector (HDFS-style), the comparison point for
// SWIM: every member pushes a heartbeat datagram to one monitor every
// heartbeat_interval; the monitor keeps a last-heard table and a detector
// pass marks members suspect after suspect_after and dead after dead_after
// of silence, alive again when heard. Verdicts go to every member at once
// (one datagram per member per detector pass with news) and are repeated on
// the acks of heartbeats until each has been sent `verdict_repeats` times,
// so a lost verdict is repaired. The monitor's load is linear in n by design.
//
// Like SwimNode it is a pure state machine driven through SwimEnv; the
// monitor never declares itself dead and members trust its verdicts.
#ifndef FAULTLINE_NODE_CENTRAL_HEARTBEAT_H_
#define FAULTLINE_NODE_CENTRAL_HEARTBEAT_H_

#include <memory>
#include <string_view>
#include <vector>

#include "swim/retransmit_queue.h"
#include "swim/swim_protocol.h"

namespace faultline::node::swim {

class CentralNode {
 public:
  CentralNode(CentralConfig config, std::shared_ptr<Names> names, MemberIdx self, std::uint64_t seed, SwimEnv& env);

  void bootstrap(const std::vector<MemberIdx>& members, Time now);
  void receive(Time now, std::string_view bytes);
  void tick(Time now);
  Time next_deadline() const;

  bool is_monitor() const { return self_ == cfg_.monitor; }
  Status status_of(MemberIdx m) const;
  std::vector<MemberView> view() const;
  const SwimCounters& counters() const { return counters_; }

 private:
  struct Entry {
    bool known = false;
    Status status = Status::kAlive;
    Incarnation epoch = 0;  // monitor: bumps per verdict, so members order them
    Time last_heard = 0;
    Time since = 0;
  };
  Entry& entry(MemberIdx m);
  void set_state(MemberIdx m, Status s, Incarnation epoch, Time now);
  void send(MemberIdx to, Packet p, std::vector<std::string> pre = {});

  CentralConfig cfg_;
  std::shared_ptr<Names> names_;
  MemberIdx self_;
  SwimEnv& env_;
  std::vector<Entry> table_;
  std::vector<MemberIdx> members_;
  SwimCounters counters_;
  RetransmitQueue repeats_;  // monitor: recent verdicts for heartbeat acks
  std::vector<Update> fresh_;  // monitor: verdicts of this detector pass
  Time next_heartbeat_ = 0;
  Time next_detect_ = 0;
  std::uint64_t seq_ = 0;
  bool started_ = false;
};

}  // namespace faultline::node::swim

#endif  // FAULTLINE_NODE_CENTRAL_HEARTBEAT_H_
