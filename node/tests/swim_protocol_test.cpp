#include "swim/swim_protocol.h"

#include <set>

#include <gtest/gtest.h>

namespace faultline::node::swim {
namespace {

// Records what a node sends; the test plays every other member by hand.
struct Capture final : SwimEnv {
  std::shared_ptr<Names> names;
  struct Sent {
    MemberIdx to;
    Packet p;
    std::size_t bytes;
  };
  std::vector<Sent> sent;
  std::vector<std::tuple<MemberIdx, Status, Incarnation>> changes;
  void send(MemberIdx to, std::string bytes) override {
    auto p = decode(*names, bytes);
    ASSERT_TRUE(p);
    sent.push_back({to, *p, bytes.size()});
  }
  void send_stream(MemberIdx to, std::string bytes) override { send(to, std::move(bytes)); }
  void on_change(MemberIdx m, Status s, Incarnation inc, Time) override { changes.emplace_back(m, s, inc); }
  std::vector<Sent> take() { return std::exchange(sent, {}); }
};

struct Fixture {
  explicit Fixture(int n, SwimConfig cfg = {}) : names(std::make_shared<Names>()) {
    env.names = names;
    for (int i = 0; i < n; ++i) {
      const auto m = names->intern("n" + std::to_string(i));
      names->set_addr(m, "127.0.0.1:" + std::to_string(7000 + i));
      members.push_back(m);
    }
    cfg.push_pull_interval = 0;  // not under test here
    node = std::make_unique<SwimNode>(cfg, names, members[0], 42, env);
    node->bootstrap(members, 0);
  }
  std::string packet(MemberIdx from, MsgType t, std::uint64_t seq, std::optional<MemberIdx> target,
                     std::vector<Update> updates = {}) {
    return encode(*names, Packet{t, from, seq, target, 0, std::move(updates)});
  }
  // Runs timers up to `until`, returning everything sent. With
  // `answer_pings`, every member this node probes acks at once.
  std::vector<Capture::Sent> run_until(Time until) {
    while (node->next_deadline() <= until) {
      now = std::max(now, node->next_deadline());
      node->tick(now);
      if (!answer_pings) continue;
      for (const auto& s : env.sent)
        if (s.p.type == MsgType::kPing && !acked.count(s.p.seq)) {
          acked.insert(s.p.seq);
          node->receive(now, packet(s.to, MsgType::kAck, s.p.seq, std::nullopt), false);
        }
    }
    now = until;
    return env.take();
  }
  std::shared_ptr<Names> names;
  Capture env;
  std::vector<MemberIdx> members;
  std::unique_ptr<SwimNode> node;
  Time now = 0;
  bool answer_pings = false;
  std::set<std::uint64_t> acked;
};

TEST(SwimProtocol, PingIsAnsweredWithAnAckOfTheSameSeq) {
  Fixture f(3);
  f.node->receive(10, f.packet(f.members[1], MsgType::kPing, 77, f.members[0]), false);
  auto sent = f.env.take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, f.members[1]);
  EXPECT_EQ(sent[0].p.type, MsgType::kAck);
  EXPECT_EQ(sent[0].p.seq, 77u);
  // A ping meant for someone else (stale address) is not answered.
  f.node->receive(20, f.packet(f.members[1], MsgType::kPing, 78, f.members[2]), false);
  EXPECT_TRUE(f.env.take().empty());
}

TEST(SwimProtocol, SilentTargetGetsPingReqThenSuspicionAndIsToldDirectly) {
  Fixture f(5);
  // First probe: find it.
  auto sent = f.run_until(kSeconds);
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(sent[0].p.type, MsgType::kPing);
  const MemberIdx target = sent[0].to;
  const Time t0 = f.node->next_deadline() - 500 * kMillis;  // ack deadline = probe start + 500 ms
  // No ack: at the probe timeout, ping-req through k = 3 others, not the target.
  sent = f.run_until(t0 + 500 * kMillis);
  ASSERT_EQ(sent.size(), 3u);
  for (const auto& s : sent) {
    EXPECT_EQ(s.p.type, MsgType::kPingReq);
    EXPECT_NE(s.to, target);
    ASSERT_TRUE(s.p.target);
    EXPECT_EQ(*s.p.target, target);
  }
  EXPECT_EQ(f.node->status_of(target), Status::kAlive);
  // Nothing by the end of the period: suspect, and the suspect hears it first.
  sent = f.run_until(t0 + kSeconds - 1);
  EXPECT_TRUE(sent.empty());
  sent = f.run_until(t0 + kSeconds);
  EXPECT_EQ(f.node->status_of(target), Status::kSuspect);
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent[0].to, target);
  ASSERT_EQ(sent[0].p.updates.size(), 1u);
  EXPECT_EQ(sent[0].p.updates[0].status, Status::kSuspect);
  EXPECT_EQ(sent[0].p.updates[0].member, target);
  EXPECT_EQ(f.node->counters().suspicions_raised, 1u);
  // Lifeguard: three helpers that did not even nack say our own health is poor.
  EXPECT_EQ(f.node->awareness(), 3);
}

TEST(SwimProtocol, AllHelpersNackingSuspectsEarlyWithoutBlamingOurselves) {
  Fixture f(5);
  auto sent = f.run_until(kSeconds);
  const MemberIdx target = sent[0].to;
  const std::uint64_t seq = sent[0].p.seq;
  const Time t0 = f.node->next_deadline() - 500 * kMillis;
  sent = f.run_until(t0 + 500 * kMillis);
  ASSERT_EQ(sent.size(), 3u);
  for (const auto& s : sent) f.node->receive(t0 + 900 * kMillis, f.packet(s.to, MsgType::kNack, seq, std::nullopt), false);
  EXPECT_EQ(f.node->status_of(target), Status::kSuspect);  // at 0.9 s, not at the period's end
  EXPECT_EQ(f.node->awareness(), 0);
}

TEST(SwimProtocol, AnAckEndsTheProbeAndLowersAwareness) {
  Fixture f(5);
  auto sent = f.run_until(kSeconds);
  const MemberIdx target = sent[0].to;
  f.node->receive(f.now, f.packet(target, MsgType::kAck, sent[0].p.seq, std::nullopt), false);
  sent = f.run_until(f.now + 900 * kMillis);
  for (const auto& s : sent) EXPECT_NE(s.p.type, MsgType::kPingReq);
  EXPECT_EQ(f.node->status_of(target), Status::kAlive);
}

TEST(SwimProtocol, ActsAsPingReqHelperForwardingAckOrNack) {
  Fixture f(4);
  const MemberIdx req = f.members[1], target = f.members[2];
  f.node->receive(0, f.packet(req, MsgType::kPingReq, 9, target), false);
  auto sent = f.env.take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, target);
  EXPECT_EQ(sent[0].p.type, MsgType::kPing);
  // The target answers: the requester gets an ack with its own seq.
  f.node->receive(100 * kMillis, f.packet(target, MsgType::kAck, sent[0].p.seq, std::nullopt), false);
  sent = f.env.take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, req);
  EXPECT_EQ(sent[0].p.type, MsgType::kAck);
  EXPECT_EQ(sent[0].p.seq, 9u);
  // Another request the target ignores: nack at 80% of the probe timeout.
  f.node->receive(kSeconds, f.packet(req, MsgType::kPingReq, 10, target), false);
  f.env.take();
  f.node->tick(kSeconds + 400 * kMillis);
  sent = f.env.take();
  bool nacked = false;
  for (const auto& s : sent) nacked = nacked || (s.p.type == MsgType::kNack && s.p.seq == 10 && s.to == req);
  EXPECT_TRUE(nacked);
}

TEST(SwimProtocol, RefutesASuspicionAboutItselfWithAHigherIncarnation) {
  Fixture f(3);
  const MemberIdx self = f.members[0], other = f.members[1];
  f.node->receive(0, f.packet(other, MsgType::kGossip, 0, std::nullopt, {{Status::kSuspect, self, 0, other}}), false);
  EXPECT_EQ(f.node->incarnation_of(self), 1u);
  EXPECT_EQ(f.node->counters().refuted, 1u);
  EXPECT_EQ(f.node->awareness(), 1);
  // A stale suspicion (older incarnation) needs no refutation.
  f.node->receive(1, f.packet(other, MsgType::kGossip, 0, std::nullopt, {{Status::kSuspect, self, 0, other}}), false);
  EXPECT_EQ(f.node->incarnation_of(self), 1u);
  // The alive(1) announcement rides on the next packet.
  f.node->receive(2, f.packet(other, MsgType::kPing, 5, self), false);
  auto sent = f.env.take();
  bool announced = false;
  for (const auto& s : sent)
    for (const auto& u : s.p.updates) announced = announced || (u.member == self && u.status == Status::kAlive && u.incarnation == 1);
  EXPECT_TRUE(announced);
}

TEST(SwimProtocol, SuspicionTimerDeclaresDeadUnlessRefuted) {
  Fixture f(10);
  f.answer_pings = true;  // this node's own probes must not confirm anything
  const MemberIdx x = f.members[3], y = f.members[4], acc = f.members[1];
  f.node->receive(0, f.packet(acc, MsgType::kGossip, 0, std::nullopt, {{Status::kSuspect, x, 0, acc}, {Status::kSuspect, y, 0, acc}}), false);
  ASSERT_EQ(f.node->status_of(x), Status::kSuspect);
  // n = 10: min = 2 * log10(10) * 1 s = 2 s, max = 3 * min = 6 s; k = 3.
  EXPECT_EQ(f.node->min_suspicion_timeout(), 2 * kSeconds);
  // y refutes in time.
  f.node->receive(kSeconds, f.packet(y, MsgType::kGossip, 0, std::nullopt, {{Status::kAlive, y, 1, y}}), false);
  f.run_until(6 * kSeconds - 1);
  EXPECT_EQ(f.node->status_of(x), Status::kSuspect);
  f.run_until(6 * kSeconds);
  EXPECT_EQ(f.node->status_of(x), Status::kDead);
  EXPECT_EQ(f.node->status_of(y), Status::kAlive);
  EXPECT_EQ(f.node->counters().deaths_declared, 1u);
}

TEST(SwimProtocol, IndependentConfirmationsShortenTheSuspicion) {
  Fixture f(10);
  const MemberIdx x = f.members[3];
  f.node->receive(0, f.packet(f.members[1], MsgType::kGossip, 0, std::nullopt, {{Status::kSuspect, x, 0, f.members[1]}}), false);
  for (int i = 5; i < 8; ++i)  // three more accusers: k reached, min timeout (2 s)
    f.node->receive(100 * kMillis, f.packet(f.members[i], MsgType::kGossip, 0, std::nullopt, {{Status::kSuspect, x, 0, f.members[i]}}), false);
  f.run_until(2 * kSeconds);
  EXPECT_EQ(f.node->status_of(x), Status::kDead);
}

TEST(SwimProtocol, ADeadMemberSeenAliveAgainRejoinsAndIsToldFirst) {
  Fixture f(4);
  const MemberIdx x = f.members[2];
  f.node->receive(0, f.packet(f.members[1], MsgType::kGossip, 0, std::nullopt, {{Status::kDead, x, 0, f.members[1]}}), false);
  EXPECT_EQ(f.node->status_of(x), Status::kDead);
  f.env.take();
  // x talks to us: we tell it it is dead so it can refute...
  f.node->receive(kSeconds, f.packet(x, MsgType::kPing, 3, f.members[0]), false);
  auto sent = f.env.take();
  bool told = false;
  for (const auto& s : sent)
    for (const auto& u : s.p.updates) told = told || (s.to == x && u.member == x && u.status == Status::kDead);
  EXPECT_TRUE(told);
  // ...and its refutation brings it back.
  f.node->receive(kSeconds + 1, f.packet(x, MsgType::kGossip, 0, std::nullopt, {{Status::kAlive, x, 1, x}}), false);
  EXPECT_EQ(f.node->status_of(x), Status::kAlive);
  EXPECT_EQ(f.node->counters().false_deaths, 1u);
}

TEST(SwimProtocol, PiggybackFillsPacketsUpTo1400BytesLeastSentFirst) {
  SwimConfig cfg;
  cfg.gossip_interval = 0;
  Fixture f(2, cfg);
  // 300 newcomers with long names: far more news than one packet holds.
  std::vector<Update> ups;
  for (int i = 0; i < 300; ++i) {
    const auto m = f.names->intern("a-rather-long-member-name-" + std::to_string(i));
    f.names->set_addr(m, "192.168.100.100:65000");
    ups.push_back({Status::kAlive, m, 0, m});
  }
  f.node->receive(0, f.packet(f.members[1], MsgType::kGossip, 0, std::nullopt, ups), false);
  EXPECT_EQ(f.node->queued_updates(), 300u);
  // n = 301 -> limit = 4 * ceil(log10(302)) = 12.
  EXPECT_EQ(f.node->retransmit_limit(), 12);
  std::size_t carried = 0;
  for (int i = 0; i < 5; ++i) {
    f.node->receive(kSeconds * i, f.packet(f.members[1], MsgType::kPing, static_cast<std::uint64_t>(i), f.members[0]), false);
    for (const auto& s : f.env.take()) {
      EXPECT_LE(s.bytes, 1400u);
      EXPECT_GT(s.bytes, 1300u);  // and filled
      carried += s.p.updates.size();
    }
  }
  EXPECT_GE(carried, 5u * 16);  // ~78-byte updates: 16 fit in one packet
  EXPECT_EQ(f.node->counters().packets_over_limit, 0u);
}

}  // namespace
}  // namespace faultline::node::swim
