#include "swim/swim_protocol.h"

#include <algorithm>
#include <cmath>

namespace faultline::node::swim {

SwimNode::SwimNode(SwimConfig config, std::shared_ptr<Names> names, MemberIdx self, std::uint64_t seed, SwimEnv& env)
    : cfg_(config), names_(std::move(names)), self_(self), rng_(seed), env_(env), awareness_(config.awareness_max) {
  Entry& e = entry(self_);
  e.known = true;
  e.status = Status::kAlive;
  live_ = 1;
}

SwimNode::Entry& SwimNode::entry(MemberIdx m) {
  if (m >= table_.size()) table_.resize(std::max<std::size_t>(names_->size(), m + 1));
  return table_[m];
}

Status SwimNode::status_of(MemberIdx m) const {
  if (m >= table_.size() || !table_[m].known) return Status::kDead;
  return table_[m].status;
}

int SwimNode::retransmit_limit() const {
  const double n = static_cast<double>(live_);
  return cfg_.retransmit_mult * static_cast<int>(std::ceil(std::log10(n + 1)));
}

Time SwimNode::min_suspicion_timeout() const {
  const double n = std::max<double>(1, static_cast<double>(live_));
  const double t = cfg_.suspicion_mult * std::max(1.0, std::log10(n)) * static_cast<double>(cfg_.protocol_period);
  return static_cast<Time>(t) / kMillis * kMillis;
}

std::vector<MemberView> SwimNode::view() const {
  std::vector<MemberView> out;
  for (MemberIdx m = 0; m < table_.size(); ++m)
    if (table_[m].known) out.push_back({m, table_[m].status, table_[m].inc, table_[m].since});
  return out;
}

void SwimNode::set_state(MemberIdx m, Status s, Incarnation inc, Time now) {
  Entry& e = entry(m);
  const bool was_known = e.known;
  const Status before = e.status;
  const bool was_live = was_known && is_live(before);
  e.known = true;
  e.inc = inc;
  if (was_known && before == s) return;
  e.status = s;
  e.since = now;
  if (was_live && !is_live(s)) --live_;
  if (!was_live && is_live(s)) ++live_;
  if (!was_known && m != self_) {
    others_.push_back(m);
    if (is_live(s)) {
      // Probe newcomers within the current pass, at a random place.
      const std::size_t lo = std::min(probe_pos_, probe_order_.size());
      const std::size_t pos = lo + rng_() % (probe_order_.size() - lo + 1);
      probe_order_.insert(probe_order_.begin() + static_cast<std::ptrdiff_t>(pos), m);
    }
  }
  if (before == Status::kSuspect && s != Status::kSuspect) {
    if (auto it = suspicions_.find(m); it != suspicions_.end()) {
      suspicion_deadlines_.erase({it->second.deadline(), m});
      suspicions_.erase(it);
    }
  }
  if (s == Status::kDead || s == Status::kLeft) dead_since_[m] = now;
  if (was_known && before == Status::kDead && s == Status::kAlive) {
    ++counters_.false_deaths;
    // A member came back: likely a healed partition, with many more like it.
    // One full sync with it carries every refutation either side has heard
    // so far, where gossip would carry them a packet at a time (rate-limited:
    // at most one such sync per push_pull_interval / 6).
    if (started_ && !leaving_ && cfg_.push_pull_interval > 0 && now - last_rejoin_sync_ >= cfg_.push_pull_interval / 6) {
      last_rejoin_sync_ = now;
      send_push_pull(m, false, false);
    }
  }
  if (s == Status::kAlive) dead_since_.erase(m);
  env_.on_change(m, s, inc, now);
}

void SwimNode::broadcast(const Update& u) { queue_.push(u.member, encode_update(*names_, u)); }

void SwimNode::send_urgent(const Update& u) {
  std::vector<MemberIdx> exclude;
  if (u.member != self_) exclude.push_back(u.member);
  for (MemberIdx m : random_live(static_cast<std::size_t>(cfg_.urgent_fanout), exclude))
    send_packet(m, Packet{MsgType::kGossip, self_, 0, std::nullopt, 0, {}});
}

void SwimNode::refute(Incarnation seen, Time now) {
  if (leaving_) return;
  Entry& e = entry(self_);
  e.inc = std::max(e.inc, seen) + 1;
  broadcast({Status::kAlive, self_, e.inc, self_});
  send_urgent({Status::kAlive, self_, e.inc, self_});
  // A suspicion's timers are running everywhere it spread: in a large
  // cluster, seed the refutation wider (log10 n rounds of urgent fanout).
  // Not for refuting a dead verdict: after a healed partition every member
  // does that at once, and the plain fanout keeps that from being a storm.
  if (!refuted_dead_)
    for (int extra = static_cast<int>(std::ceil(std::log10(static_cast<double>(live_) + 1))) - 1; extra > 0; --extra)
      send_urgent({Status::kAlive, self_, e.inc, self_});
  ++counters_.refuted;
  // Lifeguard: being suspected is a hint that this node is the slow one.
  awareness_.apply(1);
  (void)now;
}

void SwimNode::start_suspicion(MemberIdx m, MemberIdx accuser, Time now) {
  if (auto it = suspicions_.find(m); it != suspicions_.end()) {
    suspicion_deadlines_.erase({it->second.deadline(), m});
    suspicions_.erase(it);
  }
  const int k = std::min(cfg_.suspicion_confirmations, static_cast<int>(live_) - 2);
  const Time min = min_suspicion_timeout();
  const Time max = static_cast<Time>(cfg_.suspicion_max_mult * static_cast<double>(min));
  auto [it, ok] = suspicions_.emplace(m, Suspicion(accuser, k, min, max, now));
  suspicion_deadlines_.insert({it->second.deadline(), m});
}

bool SwimNode::apply(const Update& u, Time now, bool from_push_pull) {
  if (u.member == self_) {
    const Entry& me = table_[self_];
    if (u.status == Status::kAlive) {
      // Someone holds a newer incarnation of us (we restarted): outbid it.
      if (u.incarnation > me.inc) refute(u.incarnation, now);
    } else {
      if (u.incarnation >= me.inc) {
        if (u.status == Status::kDead) refuted_dead_ = true;
        refute(u.incarnation, now);
      }
      // The accuser's timer is the one running out first (it heard first):
      // answer it directly rather than hoping gossip gets there in time.
      // After a pause, the queued notices from every accuser get one each.
      // (Dead verdicts are past saving; a rejoin sync handles those.)
      if (u.status == Status::kSuspect) answer_accuser(u.from, now);
    }
    return false;
  }
  Update v = u;
  Entry& e = entry(v.member);
  // A full sync is not evidence: the peer's suspicions and dead verdicts may
  // be stale (it was on the other side of a healed partition), and taking
  // them for members we hold alive made every sync after a heal start
  // hundreds of suspicions at once, whose refutations then drowned. Syncs
  // bring joins, refutations and verdicts about members we already doubt;
  // a member that really died is found by our own probes.
  if (from_push_pull && v.status != Status::kAlive && e.known && e.status == Status::kAlive) return false;
  if (!e.known) {
    set_state(v.member, v.status, v.incarnation, now);
    if (v.status == Status::kAlive) broadcast(v);
    if (v.status == Status::kSuspect) {
      start_suspicion(v.member, v.from, now);
      broadcast(v);
    }
    return true;
  }
  if (!overrides(v.status, v.incarnation, e.status, e.inc)) {
    if (v.status == Status::kSuspect && e.status == Status::kSuspect && v.incarnation == e.inc) {
      auto it = suspicions_.find(v.member);
      if (it != suspicions_.end()) {
        const Time old = it->second.deadline();
        if (it->second.confirm(v.from)) {
          suspicion_deadlines_.erase({old, v.member});
          suspicion_deadlines_.insert({it->second.deadline(), v.member});
          broadcast(v);  // others count this accuser too
        }
      }
    } else if (v.status != Status::kAlive && v.incarnation > e.inc) {
      e.inc = v.incarnation;  // same state, newer incarnation
    }
    return false;
  }
  const bool was_suspect = e.status == Status::kSuspect;
  set_state(v.member, v.status, v.incarnation, now);
  broadcast(v);
  if (v.status == Status::kSuspect) start_suspicion(v.member, v.from, now);
  // A refutation races suspicion timers that started everywhere the
  // suspicion spread, the earliest almost a minimum timeout before the
  // suspect could answer (a pause just short of it). Piggybacking needs
  // log n periods to reach everyone; relaying it at once from every member
  // that held the suspicion reaches everyone in log n network hops. Only
  // suspicions are relayed this way: refuted dead verdicts are what a healed
  // partition produces by the hundred, and they have no timer to beat.
  if (cfg_.relay_refutations && was_suspect && v.status == Status::kAlive) send_urgent(v);
  return true;
}

void SwimNode::bootstrap(const std::vector<MemberIdx>& members, Time now) {
  for (MemberIdx m : members)
    if (m != self_ && !known(m)) set_state(m, Status::kAlive, 0, now);
  started_ = true;
  // Start inside a random pass at a random place: with every member's passes
  // aligned, a member crashing late in a pass would have been probed by
  // nearly everyone already and wait a whole pass to be noticed.
  probe_order_.clear();
  for (MemberIdx m : others_)
    if (is_live(table_[m].status)) probe_order_.push_back(m);
  std::shuffle(probe_order_.begin(), probe_order_.end(), rng_);
  probe_pos_ = probe_order_.empty() ? 0 : rng_() % probe_order_.size();
  // Random phases: members started together must not probe in lockstep.
  next_probe_ = now + static_cast<Time>(rng_() % static_cast<std::uint64_t>(cfg_.protocol_period));
  next_gossip_ = now;
  next_push_pull_ = cfg_.push_pull_interval > 0
                        ? now + static_cast<Time>(rng_() % static_cast<std::uint64_t>(cfg_.push_pull_interval))
                        : 0;
}

void SwimNode::join(const std::vector<MemberIdx>& seeds, Time now) {
  if (!started_) bootstrap({}, now);
  broadcast({Status::kAlive, self_, table_[self_].inc, self_});
  for (MemberIdx s : seeds)
    if (s != self_) send_push_pull(s, false, true);
}

void SwimNode::leave(Time now) {
  if (leaving_) return;
  leaving_ = true;
  Entry& me = entry(self_);
  const Update u{Status::kLeft, self_, me.inc, self_};
  broadcast(u);
  for (MemberIdx m : random_live(static_cast<std::size_t>(std::max(3, cfg_.gossip_fanout)), {}))
    send_packet(m, Packet{MsgType::kGossip, self_, 0, std::nullopt, 0, {u}});
  probe_.reset();
  (void)now;
}

std::vector<MemberIdx> SwimNode::random_live(std::size_t k, const std::vector<MemberIdx>& exclude) {
  std::vector<MemberIdx> out;
  auto ok = [&](MemberIdx m) {
    return is_live(table_[m].status) && std::find(exclude.begin(), exclude.end(), m) == exclude.end() &&
           std::find(out.begin(), out.end(), m) == out.end();
  };
  if (others_.size() <= 64) {
    std::vector<MemberIdx> cands;
    for (MemberIdx m : others_)
      if (ok(m)) cands.push_back(m);
    std::shuffle(cands.begin(), cands.end(), rng_);
    if (cands.size() > k) cands.resize(k);
    return cands;
  }
  for (std::size_t tries = 0; out.size() < k && tries < 8 * k + 16; ++tries) {
    const MemberIdx m = others_[rng_() % others_.size()];
    if (ok(m)) out.push_back(m);
  }
  return out;
}

std::optional<MemberIdx> SwimNode::next_probe_target() {
  for (int pass = 0; pass < 2; ++pass) {
    while (probe_pos_ < probe_order_.size()) {
      const MemberIdx m = probe_order_[probe_pos_++];
      if (is_live(table_[m].status)) return m;
    }
    probe_order_.clear();
    for (MemberIdx m : others_)
      if (is_live(table_[m].status)) probe_order_.push_back(m);
    std::shuffle(probe_order_.begin(), probe_order_.end(), rng_);
    probe_pos_ = 0;
  }
  return std::nullopt;
}

void SwimNode::send_packet(MemberIdx to, Packet p, bool piggyback) {
  p.from = self_;
  std::vector<std::string> pre;
  if (piggyback) {
    std::size_t used = header_size(*names_, p) + 2;
    for (const auto& u : p.updates) used += encode_update(*names_, u).size();
    if (used < cfg_.max_packet) pre = queue_.take(cfg_.max_packet - used, retransmit_limit());
  }
  std::string bytes = encode(*names_, p, pre);
  if (bytes.size() > cfg_.max_packet) ++counters_.packets_over_limit;
  ++counters_.sent[static_cast<int>(p.type)];
  counters_.bytes_sent += bytes.size();
  env_.send(to, std::move(bytes));
}

void SwimNode::send_push_pull(MemberIdx to, bool reply, bool join) {
  Packet p{MsgType::kPushPull, self_, 0, std::nullopt,
           static_cast<std::uint8_t>((reply ? kFlagReply : 0) | (join ? kFlagJoin : 0)), {}};
  p.updates.reserve(others_.size() + 1);
  const Entry& me = table_[self_];
  p.updates.push_back({leaving_ ? Status::kLeft : Status::kAlive, self_, me.inc, self_});
  for (MemberIdx m : others_) p.updates.push_back({table_[m].status, m, table_[m].inc, self_});
  std::string bytes = encode(*names_, p);
  ++counters_.sent[static_cast<int>(p.type)];
  counters_.bytes_sent += bytes.size();
  env_.send_stream(to, std::move(bytes));
}

void SwimNode::start_probe(Time now) {
  next_probe_ = now + awareness_.scale(cfg_.protocol_period);
  const auto target = next_probe_target();
  if (!target) return;
  const std::uint64_t seq = next_seq_++;
  probe_ = Probe{*target, seq, now + awareness_.scale(cfg_.probe_timeout), now + awareness_.scale(cfg_.protocol_period)};
  Packet p{MsgType::kPing, self_, seq, *target, 0, {}};
  // Lifeguard: a suspect learns of the suspicion on the probe itself.
  if (table_[*target].status == Status::kSuspect)
    p.updates.push_back({Status::kSuspect, *target, table_[*target].inc, self_});
  send_packet(*target, std::move(p));
}

void SwimNode::probe_failed(Time now) {
  const Probe pr = *probe_;
  probe_.reset();
  // Helpers that did not even say nack point at our own network or CPU.
  awareness_.apply(pr.expected_nacks > 0 ? pr.expected_nacks - pr.nacks : 1);
  const Entry& e = table_[pr.target];
  if (!is_live(e.status)) return;
  const Update u{Status::kSuspect, pr.target, e.inc, self_};
  if (e.status == Status::kAlive) {
    ++counters_.suspicions_raised;
    // Tell the suspect directly so it can refute at once.
    send_packet(pr.target, Packet{MsgType::kGossip, self_, 0, std::nullopt, 0, {u}}, false);
    told_[pr.target] = now;
    apply(u, now, false);
    send_urgent(u);
    return;
  }
  apply(u, now, false);
}

void SwimNode::tell_if_behind(MemberIdx from, Time now) {
  if (from >= table_.size() || !table_[from].known) return;
  const Entry& e = table_[from];
  if (e.status != Status::kSuspect && e.status != Status::kDead) return;
  auto it = told_.find(from);
  if (it != told_.end() && it->second + cfg_.protocol_period > now) return;
  told_[from] = now;
  send_packet(from, Packet{MsgType::kGossip, self_, 0, std::nullopt, 0, {{e.status, from, e.inc, self_}}}, false);
}

void SwimNode::answer_accuser(MemberIdx accuser, Time now) {
  if (accuser == self_ || leaving_ || accuser >= table_.size() || !table_[accuser].known) return;
  auto it = answered_.find(accuser);
  if (it != answered_.end() && it->second + cfg_.protocol_period > now) return;
  answered_[accuser] = now;
  // Twice: this one datagram is what stands between a lossy network and a
  // false death when a pause ends just inside the suspicion timeout.
  const Packet p{MsgType::kGossip, self_, 0, std::nullopt, 0, {{Status::kAlive, self_, table_[self_].inc, self_}}};
  send_packet(accuser, p, false);
  send_packet(accuser, p, false);
}

void SwimNode::receive(Time now, std::string_view bytes, bool from_stream) {
  counters_.bytes_received += bytes.size();
  auto p = decode(*names_, bytes);
  if (!p) {
    ++counters_.bad_packets;
    return;
  }
  if (p->from == self_) return;
  ++counters_.received[static_cast<int>(p->type)];
  handle(*p, now, from_stream);
}

void SwimNode::handle(const Packet& p, Time now, bool from_stream) {
  (void)from_stream;
  const bool push_pull = p.type == MsgType::kPushPull;
  refuted_dead_ = false;
  for (const auto& u : p.updates) apply(u, now, push_pull);
  if (leaving_) return;
  // Someone held us dead: we were cut off (a partition that has healed).
  // One full sync with it moves both sides' refutations at once, where
  // gossip alone would carry hundreds of them a packet at a time.
  if (refuted_dead_ && !push_pull && now - last_rejoin_sync_ >= cfg_.push_pull_interval / 6) {
    last_rejoin_sync_ = now;
    send_push_pull(p.from, false, false);
  }
  // A member we think suspect or dead is talking to us: let it know, so it
  // refutes (this is how a healed partition's members rejoin).
  tell_if_behind(p.from, now);
  switch (p.type) {
    case MsgType::kPing:
      if (p.target && *p.target != self_) return;  // meant for a previous owner of this address
      send_packet(p.from, Packet{MsgType::kAck, self_, p.seq, std::nullopt, 0, {}});
      return;
    case MsgType::kAck:
      if (probe_ && p.seq == probe_->seq) {
        probe_.reset();
        awareness_.apply(-1);
      } else if (auto it = relays_.find(p.seq); it != relays_.end()) {
        send_packet(it->second.requester, Packet{MsgType::kAck, self_, it->second.requester_seq, std::nullopt, 0, {}});
        relays_.erase(it);
      }
      return;
    case MsgType::kPingReq: {
      if (!p.target || *p.target == self_) return;
      const std::uint64_t seq = next_seq_++;
      relays_[seq] = Relay{p.from, p.seq, now + static_cast<Time>(cfg_.nack_fraction * static_cast<double>(cfg_.probe_timeout)), now + cfg_.probe_timeout};
      send_packet(*p.target, Packet{MsgType::kPing, self_, seq, *p.target, 0, {}});
      return;
    }
    case MsgType::kNack:
      if (probe_ && p.seq == probe_->seq) {
        ++probe_->nacks;
        // Every helper reached and heard nothing either: no need to wait out the period.
        if (probe_->indirect_sent && probe_->nacks >= probe_->expected_nacks) probe_failed(now);
      }
      return;
    case MsgType::kPushPull:
      if (!(p.flags & kFlagReply)) send_push_pull(p.from, true, false);
      return;
    default:
      return;
  }
}

void SwimNode::tick(Time now) {
  while (!suspicion_deadlines_.empty() && suspicion_deadlines_.begin()->first <= now) {
    const MemberIdx m = suspicion_deadlines_.begin()->second;
    suspicion_deadlines_.erase(suspicion_deadlines_.begin());
    suspicions_.erase(m);
    if (table_[m].status != Status::kSuspect) continue;
    ++counters_.deaths_declared;
    const Update dead{Status::kDead, m, table_[m].inc, self_};
    apply(dead, now, false);
    send_urgent(dead);
  }
  for (auto it = relays_.begin(); it != relays_.end();) {
    Relay& r = it->second;
    if (!r.nacked && r.nack_at <= now) {
      r.nacked = true;
      send_packet(r.requester, Packet{MsgType::kNack, self_, r.requester_seq, std::nullopt, 0, {}});
    }
    it = r.expire_at <= now ? relays_.erase(it) : std::next(it);
  }
  if (probe_ && !probe_->indirect_sent && probe_->ack_deadline <= now) {
    probe_->indirect_sent = true;
    const auto helpers = random_live(static_cast<std::size_t>(cfg_.indirect_checks), {probe_->target});
    probe_->expected_nacks = static_cast<int>(helpers.size());
    for (MemberIdx h : helpers)
      send_packet(h, Packet{MsgType::kPingReq, self_, probe_->seq, probe_->target, 0, {}});
  }
  if (probe_ && probe_->period_end <= now) probe_failed(now);
  if (started_ && !leaving_ && next_probe_ <= now) {
    if (probe_) probe_failed(now);
    start_probe(now);
  }
  if (cfg_.gossip_interval > 0 && next_gossip_ <= now && !queue_.empty()) {
    next_gossip_ = now + cfg_.gossip_interval;
    for (MemberIdx m : random_live(static_cast<std::size_t>(cfg_.gossip_fanout), {}))
      send_packet(m, Packet{MsgType::kGossip, self_, 0, std::nullopt, 0, {}});
  }
  if (started_ && !leaving_ && cfg_.push_pull_interval > 0 && next_push_pull_ <= now) {
    next_push_pull_ = now + cfg_.push_pull_interval;
    for (int tries = 0; tries < 8 && !others_.empty(); ++tries) {
      const MemberIdx m = others_[rng_() % others_.size()];
      const Status s = table_[m].status;
      if (s == Status::kLeft) continue;
      if (s == Status::kDead) {
        // Dead members are synced with now and then: if they were only cut
        // off, the exchange tells them, they refute and the views merge.
        const auto it = dead_since_.find(m);
        const bool recent = it != dead_since_.end() && now - it->second < cfg_.gossip_to_dead;
        const double draw = static_cast<double>(rng_() % 1000000) / 1e6;
        if (!recent && draw >= cfg_.dead_push_pull_share) continue;
      }
      send_push_pull(m, false, false);
      break;
    }
  }
}

Time SwimNode::next_deadline() const {
  constexpr Time kNever = INT64_MAX;
  Time t = kNever;
  if (!suspicion_deadlines_.empty()) t = std::min(t, suspicion_deadlines_.begin()->first);
  for (const auto& [seq, r] : relays_) t = std::min(t, r.nacked ? r.expire_at : r.nack_at);
  if (probe_) t = std::min(t, probe_->indirect_sent ? probe_->period_end : probe_->ack_deadline);
  if (started_ && !leaving_) t = std::min(t, next_probe_);
  if (cfg_.gossip_interval > 0 && !queue_.empty()) t = std::min(t, next_gossip_);
  if (started_ && !leaving_ && cfg_.push_pull_interval > 0) t = std::min(t, next_push_pull_);
  return t;
}

}  // namespace faultline::node::swim
