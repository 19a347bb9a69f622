#include "swim/central_heartbeat.h"

#include <algorithm>

namespace faultline::node::swim {

CentralNode::CentralNode(CentralConfig config, std::shared_ptr<Names> names, MemberIdx self, std::uint64_t seed,
                         SwimEnv& env)
    : cfg_(config), names_(std::move(names)), self_(self), env_(env) {
  // Heartbeats start at a random phase so members do not arrive in lockstep.
  next_heartbeat_ = static_cast<Time>(seed % static_cast<std::uint64_t>(std::max<Time>(1, cfg_.heartbeat_interval)));
  Entry& e = entry(self_);
  e.known = true;
}

CentralNode::Entry& CentralNode::entry(MemberIdx m) {
  if (m >= table_.size()) table_.resize(std::max<std::size_t>(names_->size(), m + 1));
  return table_[m];
}

Status CentralNode::status_of(MemberIdx m) const {
  if (m >= table_.size() || !table_[m].known) return Status::kDead;
  return table_[m].status;
}

std::vector<MemberView> CentralNode::view() const {
  std::vector<MemberView> out;
  for (MemberIdx m = 0; m < table_.size(); ++m)
    if (table_[m].known) out.push_back({m, table_[m].status, table_[m].epoch, table_[m].since});
  return out;
}

void CentralNode::bootstrap(const std::vector<MemberIdx>& members, Time now) {
  for (MemberIdx m : members) {
    Entry& e = entry(m);
    if (m != self_ && !e.known) members_.push_back(m);
    e.known = true;
    e.last_heard = now;
    e.since = now;
  }
  started_ = true;
  next_heartbeat_ += now;
  next_detect_ = now + cfg_.detector_interval;
}

void CentralNode::set_state(MemberIdx m, Status s, Incarnation epoch, Time now) {
  Entry& e = entry(m);
  e.epoch = epoch;
  if (e.status == s) return;
  e.status = s;
  e.since = now;
  env_.on_change(m, s, epoch, now);
}

void CentralNode::send(MemberIdx to, Packet p, std::vector<std::string> pre) {
  p.from = self_;
  std::string bytes = encode(*names_, p, pre);
  if (bytes.size() > cfg_.max_packet) ++counters_.packets_over_limit;
  ++counters_.sent[static_cast<int>(p.type)];
  counters_.bytes_sent += bytes.size();
  env_.send(to, std::move(bytes));
}

void CentralNode::receive(Time now, std::string_view bytes) {
  counters_.bytes_received += bytes.size();
  auto p = decode(*names_, bytes);
  if (!p) {
    ++counters_.bad_packets;
    return;
  }
  ++counters_.received[static_cast<int>(p->type)];
  if (is_monitor() && p->type == MsgType::kHeartbeat) {
    Entry& e = entry(p->from);
    if (!e.known) {
      e.known = true;
      members_.push_back(p->from);
    }
    e.last_heard = now;
    if (e.status != Status::kAlive) {
      const Update u{Status::kAlive, p->from, e.epoch + 1, self_};
      set_state(p->from, Status::kAlive, u.incarnation, now);
      fresh_.push_back(u);
    }
    // The ack repeats recent verdicts: a member that lost one catches up.
    const std::size_t budget = cfg_.max_packet - header_size(*names_, Packet{MsgType::kAck, self_, p->seq}) - 2;
    send(p->from, Packet{MsgType::kAck, self_, p->seq, std::nullopt, 0, {}}, repeats_.take(budget, cfg_.verdict_repeats));
    return;
  }
  if (!is_monitor() && (p->type == MsgType::kVerdict || p->type == MsgType::kAck)) {
    for (const auto& u : p->updates) {
      if (u.member == self_) continue;  // a member keeps sending heartbeats whatever it is told
      Entry& e = entry(u.member);
      if (!e.known) {
        e.known = true;
        members_.push_back(u.member);
      }
      if (u.incarnation > e.epoch || (u.incarnation == e.epoch && e.status != u.status && e.epoch == 0))
        set_state(u.member, u.status, u.incarnation, now);
    }
  }
}

void CentralNode::tick(Time now) {
  if (!started_) return;
  if (!is_monitor() && next_heartbeat_ <= now) {
    next_heartbeat_ = now + cfg_.heartbeat_interval;
    send(cfg_.monitor, Packet{MsgType::kHeartbeat, self_, ++seq_, std::nullopt, 0, {}});
  }
  if (is_monitor() && next_detect_ <= now) {
    next_detect_ = now + cfg_.detector_interval;
    for (MemberIdx m : members_) {
      Entry& e = table_[m];
      const Time silent = now - e.last_heard;
      Status to = e.status;
      if (silent >= cfg_.dead_after) to = Status::kDead;
      else if (silent >= cfg_.suspect_after && e.status == Status::kAlive) to = Status::kSuspect;
      if (to == e.status) continue;
      const Update u{to, m, e.epoch + 1, self_};
      set_state(m, to, u.incarnation, now);
      fresh_.push_back(u);
    }
    if (!fresh_.empty()) {
      std::vector<std::string> enc;
      for (const auto& u : fresh_) {
        std::string e = encode_update(*names_, u);
        repeats_.push(u.member, e);
        enc.push_back(std::move(e));
      }
      fresh_.clear();
      // One datagram per member, split if the news does not fit in one.
      const std::size_t budget = cfg_.max_packet - header_size(*names_, Packet{MsgType::kVerdict, self_}) - 2;
      std::vector<std::vector<std::string>> packets(1);
      std::size_t used = 0;
      for (auto& e : enc) {
        if (used + e.size() > budget && !packets.back().empty()) {
          packets.emplace_back();
          used = 0;
        }
        used += e.size();
        packets.back().push_back(std::move(e));
      }
      for (MemberIdx m : members_) {
        if (table_[m].status == Status::kDead) continue;
        for (const auto& pk : packets) send(m, Packet{MsgType::kVerdict, self_, 0, std::nullopt, 0, {}}, pk);
      }
    }
  }
}

Time CentralNode::next_deadline() const {
  if (!started_) return INT64_MAX;
  return is_monitor() ? next_detect_ : next_heartbeat_;
}

}  // namespace faultline::node::swim
