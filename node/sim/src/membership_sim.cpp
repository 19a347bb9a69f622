#include "faultline/node/sim/membership_sim.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <random>
#include <set>

#include "swim/central_heartbeat.h"
#include "swim/swim_protocol.h"

namespace faultline::node::sim {

using swim::MemberIdx;
using swim::Status;
using Json = nlohmann::json;

std::string validate(const SimConfig& c) {
  if (c.nodes < 2 || c.nodes > 100000) return "--nodes must be in [2, 100000]";
  if (!(c.loss >= 0 && c.loss < 1)) return "--loss must be in [0, 1)";
  if (c.crash < 0 || c.crash > c.nodes - 2) return "--crash must be in [0, nodes - 2]";
  if (c.duration <= 0) return "--duration must be positive";
  for (const auto& p : c.pauses)
    if (p.length <= 0 || p.at < 0 || p.at >= c.duration) return "--pause must be SECONDS@AT with SECONDS > 0 and 0 <= AT < duration";
  if (c.partition) {
    const auto& p = *c.partition;
    if (p.length <= 0 || p.at < 0 || p.at >= c.duration) return "--partition must be SECONDS@AT with SECONDS > 0 and 0 <= AT < duration";
    if (!(p.fraction > 0 && p.fraction < 1)) return "--partition-fraction must be in (0, 1)";
  }
  if (c.latency_min < 0 || c.latency_max < c.latency_min) return "latency must satisfy 0 <= min <= max";
  if (c.swim.protocol_period <= 0 || c.swim.probe_timeout <= 0 || c.swim.probe_timeout > c.swim.protocol_period)
    return "--period and --probe-timeout must be positive with probe timeout <= period";
  if (c.swim.max_packet < 200 || c.swim.max_packet > 65000) return "--max-packet must be in [200, 65000]";
  return "";
}

namespace {

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

Json dist(std::vector<double> v) {
  if (v.empty()) return nullptr;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
    return v[std::min(v.size() - 1, i)];
  };
  auto r3 = [](double x) { return std::round(x * 1000) / 1000; };
  return {{"median", r3(rank(0.5))}, {"p99", r3(rank(0.99))}, {"max", r3(v.back())}, {"count", v.size()}};
}

double secs(Time t) { return static_cast<double>(t) / 1e6; }

class Simulation;

class Env final : public swim::SwimEnv {
 public:
  Env(Simulation& sim, MemberIdx self) : sim_(sim), self_(self) {}
  void send(MemberIdx to, std::string bytes) override;
  void send_stream(MemberIdx to, std::string bytes) override;
  void on_change(MemberIdx member, Status now, swim::Incarnation inc, Time at) override;

 private:
  Simulation& sim_;
  MemberIdx self_;
};

enum class Kind : std::uint8_t { kDeliver, kWake, kCrash, kPause, kResume, kCheck };

struct Event {
  Time t;
  std::uint64_t seq;
  Kind kind;
  bool stream;
  MemberIdx node;
  Time arg;  // pause length
  std::string payload;
};
struct Later {
  bool operator()(const Event& a, const Event& b) const { return a.t != b.t ? a.t > b.t : a.seq > b.seq; }
};

struct Sim {
  std::unique_ptr<swim::SwimNode> swim;
  std::unique_ptr<swim::CentralNode> central;
  std::unique_ptr<Env> env;
  Time wake = INT64_MAX;
  bool crashed = false;
  Time crashed_at = 0;
  Time paused_until = 0;
  std::deque<std::pair<std::string, bool>> buffered;
  int side = 0;
  std::uint64_t msgs = 0, bytes = 0, received = 0;
};

struct CrashRecord {
  MemberIdx member;
  Time at;
  std::vector<Time> suspect_at, dead_at;  // by observer; -1 none
};

class Simulation {
 public:
  explicit Simulation(const SimConfig& c) : c_(c), rng_(splitmix(c.seed)), names_(std::make_shared<swim::Names>()) {
    const int n = c.nodes;
    std::vector<MemberIdx> all;
    for (int i = 0; i < n; ++i) {
      const MemberIdx m = names_->intern("m" + std::to_string(i));
      names_->set_addr(m, names_->name(m));
      all.push_back(m);
    }
    nodes_.resize(static_cast<std::size_t>(n));
    crash_index_.assign(static_cast<std::size_t>(n), -1);
    for (int i = 0; i < n; ++i) {
      auto& s = nodes_[static_cast<std::size_t>(i)];
      s.env = std::make_unique<Env>(*this, static_cast<MemberIdx>(i));
      const std::uint64_t seed = splitmix(c.seed * 1000003ull + static_cast<std::uint64_t>(i));
      if (c.mode == Mode::kSwim) {
        s.swim = std::make_unique<swim::SwimNode>(c.swim, names_, static_cast<MemberIdx>(i), seed, *s.env);
        s.swim->bootstrap(all, 0);
      } else {
        auto cc = c.central;
        cc.monitor = 0;
        s.central = std::make_unique<swim::CentralNode>(cc, names_, static_cast<MemberIdx>(i), seed, *s.env);
        s.central->bootstrap(all, 0);
      }
      reschedule(static_cast<MemberIdx>(i), 0);
    }
    // Victims: distinct, never the monitor; paused members are never crashed.
    std::vector<MemberIdx> order(all.begin() + (c.mode == Mode::kCentral ? 1 : 0), all.end());
    std::shuffle(order.begin(), order.end(), rng_);
    std::size_t next = 0;
    const Time from = c.crash_from.value_or(c.duration / 5);
    const Time to = std::max(from, c.crash_to.value_or(c.duration / 2));
    for (int k = 0; k < c.crash && next < order.size(); ++k, ++next) {
      const Time at = from + static_cast<Time>(rng_() % static_cast<std::uint64_t>(to - from + 1));
      push({at, 0, Kind::kCrash, false, order[next], 0, {}});
    }
    for (const auto& p : c.pauses) {
      if (next >= order.size()) break;
      const MemberIdx m = order[next++];
      paused_members_.insert(m);
      push({p.at, 0, Kind::kPause, false, m, p.length, {}});
    }
    if (c.partition) {
      std::vector<MemberIdx> sides(all.begin(), all.end());
      std::shuffle(sides.begin() + (c.mode == Mode::kCentral ? 1 : 0), sides.end(), rng_);
      const auto first = static_cast<std::size_t>(c.partition->fraction * n);
      for (std::size_t i = 0; i < sides.size(); ++i) nodes_[sides[i]].side = i < first ? 0 : 1;
      push({c.partition->at + c.partition->length, 0, Kind::kCheck, false, 0, 0, {}});
    }
    bins_.assign(static_cast<std::size_t>((c.duration + c.timeline_bin - 1) / c.timeline_bin), {});
  }

  Json run() {
    while (!events_.empty()) {
      std::pop_heap(events_.begin(), events_.end(), Later{});
      Event ev = std::move(events_.back());
      events_.pop_back();
      if (ev.t > c_.duration) break;
      now_ = ev.t;
      handle(ev);
    }
    now_ = c_.duration;
    return result();
  }

  void send(MemberIdx from, MemberIdx to, std::string bytes, bool stream) {
    auto& s = nodes_[from];
    ++s.msgs;
    s.bytes += bytes.size();
    auto& bin = bins_[std::min(bins_.size() - 1, static_cast<std::size_t>(now_ / c_.timeline_bin))];
    ++bin.msgs;
    bin.bytes += bytes.size();
    if (to >= nodes_.size() || nodes_[to].crashed) return;
    if (!stream && c_.loss > 0 && unit() < c_.loss) return;
    if (partitioned(from, to)) return;
    const Time lat = c_.latency_min + static_cast<Time>(rng_() % static_cast<std::uint64_t>(c_.latency_max - c_.latency_min + 1));
    // Streams (push-pull) take a few round trips longer than a datagram.
    push({now_ + lat * (stream ? 3 : 1), 0, Kind::kDeliver, stream, to, 0, std::move(bytes)});
  }

  void observe(MemberIdx observer, MemberIdx member, Status s, Time at) {
    if (nodes_[observer].crashed) return;
    const int ci = crash_index_[member];
    if (ci >= 0 && at >= crashes_[static_cast<std::size_t>(ci)].at) {
      auto& r = crashes_[static_cast<std::size_t>(ci)];
      if ((s == Status::kSuspect || s == Status::kDead) && r.suspect_at[observer] < 0) r.suspect_at[observer] = at;
      if ((s == Status::kDead || s == Status::kLeft) && r.dead_at[observer] < 0) r.dead_at[observer] = at;
      return;
    }
    if (s != Status::kDead) return;
    // Verdicts across a partition's sides (during it, or stale ones heard
    // after the heal) are the partition's doing, not false deaths.
    if (c_.partition && nodes_[observer].side != nodes_[member].side) {
      ++partition_dead_views_;
      return;
    }
    ++false_dead_views_;
    false_dead_members_.insert(member);
  }

 private:
  struct Bin {
    std::uint64_t msgs = 0, bytes = 0;
    std::size_t live = 0;
  };

  double unit() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  bool partition_active() const {
    return c_.partition && now_ >= c_.partition->at && now_ < c_.partition->at + c_.partition->length;
  }
  bool partitioned(MemberIdx a, MemberIdx b) const { return partition_active() && nodes_[a].side != nodes_[b].side; }

  void push(Event e) {
    e.seq = seq_++;
    events_.push_back(std::move(e));
    std::push_heap(events_.begin(), events_.end(), Later{});
  }

  Time deadline(MemberIdx i) const {
    const auto& s = nodes_[i];
    return s.swim ? s.swim->next_deadline() : s.central->next_deadline();
  }
  void reschedule(MemberIdx i, Time now) {
    auto& s = nodes_[i];
    if (s.crashed || s.paused_until > now) return;
    Time d = deadline(i);
    if (d == INT64_MAX) return;
    d = std::max(d, now + 1);
    if (d < s.wake) {
      s.wake = d;
      push({d, 0, Kind::kWake, false, i, 0, {}});
    }
  }
  void deliver(MemberIdx i, const std::string& bytes, bool stream) {
    auto& s = nodes_[i];
    ++s.received;
    if (s.swim) s.swim->receive(now_, bytes, stream);
    else s.central->receive(now_, bytes);
  }
  void tick(MemberIdx i) {
    auto& s = nodes_[i];
    if (s.swim) s.swim->tick(now_);
    else s.central->tick(now_);
  }

  void handle(Event& ev) {
    auto& s = nodes_[ev.node];
    switch (ev.kind) {
      case Kind::kDeliver:
        if (s.crashed) return;
        if (s.paused_until > now_) {
          if (s.buffered.size() < c_.pause_buffer) s.buffered.emplace_back(std::move(ev.payload), ev.stream);
          return;
        }
        deliver(ev.node, ev.payload, ev.stream);
        reschedule(ev.node, now_);
        return;
      case Kind::kWake:
        if (ev.t != s.wake || s.crashed) return;
        s.wake = INT64_MAX;
        if (s.paused_until > now_) return;  // kResume picks it up
        tick(ev.node);
        reschedule(ev.node, now_);
        return;
      case Kind::kCrash: {
        s.crashed = true;
        s.crashed_at = now_;
        crash_index_[ev.node] = static_cast<int>(crashes_.size());
        const std::size_t n = nodes_.size();
        crashes_.push_back({ev.node, now_, std::vector<Time>(n, -1), std::vector<Time>(n, -1)});
        return;
      }
      case Kind::kPause:
        s.paused_until = now_ + ev.arg;
        push({s.paused_until, 0, Kind::kResume, false, ev.node, 0, {}});
        return;
      case Kind::kResume: {
        s.paused_until = 0;
        s.wake = INT64_MAX;
        // Like SIGCONT: what queued in the socket is read, then overdue timers fire.
        auto buffered = std::move(s.buffered);
        s.buffered.clear();
        for (auto& [bytes, stream] : buffered) deliver(ev.node, bytes, stream);
        tick(ev.node);
        reschedule(ev.node, now_);
        return;
      }
      case Kind::kCheck:
        if (!reconverged_ && converged()) {
          reconverged_ = now_ - (c_.partition->at + c_.partition->length);
          return;
        }
        push({now_ + 250 * swim::kMillis, 0, Kind::kCheck, false, 0, 0, {}});
        return;
    }
  }

  Status status(MemberIdx obs, MemberIdx m) const {
    const auto& s = nodes_[obs];
    return s.swim ? s.swim->status_of(m) : s.central->status_of(m);
  }
  bool converged() const {
    for (MemberIdx i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].crashed) continue;
      for (MemberIdx j = 0; j < nodes_.size(); ++j)
        if (j != i && !nodes_[j].crashed && status(i, j) != Status::kAlive) return false;
    }
    return true;
  }

  // How fast each crash was noticed: per observer (first suspicion, death
  // declared) and cluster-wide (first anywhere, known by all, dissemination).
  struct Detection {
    std::vector<double> first_suspicion, dead_declared, anywhere, known_by_all, dissemination;
    int not_known_by_all = 0;
  };
  Detection detection() const {
    Detection d;
    auto& [first_suspicion, dead_declared, anywhere, known_by_all, dissemination, not_known_by_all] = d;
    for (const auto& r : crashes_) {
      Time first_s = INT64_MAX, first_d = INT64_MAX, last_d = -1;
      bool all = true;
      for (MemberIdx o = 0; o < nodes_.size(); ++o) {
        if (o == r.member || nodes_[o].crashed) continue;
        if (r.suspect_at[o] >= 0) {
          first_suspicion.push_back(secs(r.suspect_at[o] - r.at));
          first_s = std::min(first_s, r.suspect_at[o]);
        }
        if (r.dead_at[o] >= 0) {
          dead_declared.push_back(secs(r.dead_at[o] - r.at));
          first_d = std::min(first_d, r.dead_at[o]);
          last_d = std::max(last_d, r.dead_at[o]);
        } else {
          all = false;
        }
      }
      if (first_s != INT64_MAX) anywhere.push_back(secs(first_s - r.at));
      if (all && last_d >= 0) {
        known_by_all.push_back(secs(last_d - r.at));
        dissemination.push_back(secs(last_d - first_d));
      } else {
        ++not_known_by_all;
      }
    }
    return d;
  }

  // Messages per live member per second, bin by bin.
  Json rate_timeline() const {
    Json timeline = Json::array();
    for (std::size_t b = 0; b < bins_.size(); ++b) {
      const Time start = static_cast<Time>(b) * c_.timeline_bin;
      const Time end = std::min(c_.duration, start + c_.timeline_bin);
      std::size_t live = 0;
      for (const auto& s : nodes_)
        if (!s.crashed || s.crashed_at > start) ++live;
      const double r = static_cast<double>(bins_[b].msgs) / static_cast<double>(live) / secs(end - start);
      timeline.push_back({{"t", secs(start)}, {"msgs_per_member_per_s", std::round(r * 100) / 100}});
    }
    return timeline;
  }

  // A partition's figures: steady rate before it, the peak after the heal,
  // and how long until every live member saw every other alive again.
  void partition_figures(const Json& timeline, Json& j) const {
    j["partition"] = {{"at_s", secs(c_.partition->at)}, {"length_s", secs(c_.partition->length)}};
    j["reconverged_after_heal_s"] = reconverged_ ? Json(secs(*reconverged_)) : Json(nullptr);
    // Steady state: the bins wholly before the partition, skipping the first.
    double steady = 0, peak = 0;
    int steady_bins = 0;
    for (std::size_t b = 0; b < bins_.size(); ++b) {
      const Time start = static_cast<Time>(b) * c_.timeline_bin;
      const double r = timeline[b]["msgs_per_member_per_s"].get<double>();
      if (b > 0 && start + c_.timeline_bin <= c_.partition->at) {
        steady += r;
        ++steady_bins;
      }
      if (start >= c_.partition->at + c_.partition->length - c_.timeline_bin) peak = std::max(peak, r);
    }
    if (steady_bins > 0) {
      steady /= steady_bins;
      j["steady_msgs_per_member_per_s"] = std::round(steady * 100) / 100;
      j["peak_after_heal_msgs_per_member_per_s"] = peak;
      j["peak_over_steady"] = std::round(peak / steady * 100) / 100;
    }
  }

  Json result() {
    const double dur = secs(c_.duration);
    const double period = secs(c_.mode == Mode::kSwim ? c_.swim.protocol_period : c_.central.heartbeat_interval);
    const Detection d = detection();
    std::vector<double> rates, byte_rates;
    for (const auto& s : nodes_) {
      if (s.crashed) continue;
      rates.push_back(static_cast<double>(s.msgs) / dur);
      byte_rates.push_back(static_cast<double>(s.bytes) / dur);
    }
    auto mean_max = [](const std::vector<double>& v) {
      double sum = 0, mx = 0;
      for (double x : v) {
        sum += x;
        mx = std::max(mx, x);
      }
      return Json{{"mean", std::round(sum / static_cast<double>(v.size()) * 100) / 100}, {"max", std::round(mx * 100) / 100}};
    };
    const Json timeline = rate_timeline();
    std::uint64_t over_limit = 0, suspicions = 0, refuted = 0, declared = 0;
    for (const auto& s : nodes_) {
      const auto& k = s.swim ? s.swim->counters() : s.central->counters();
      over_limit += k.packets_over_limit;
      suspicions += k.suspicions_raised;
      refuted += k.refuted;
      declared += k.deaths_declared;
    }
    Json j = {
        {"mode", c_.mode == Mode::kSwim ? "swim" : "central"},
        {"nodes", c_.nodes},
        {"seed", c_.seed},
        {"duration_s", dur},
        {"loss", c_.loss},
        {"crashed", crashes_.size()},
        {"protocol_period_s", period},
        {"first_suspicion_s", dist(d.first_suspicion)},
        {"first_suspicion_anywhere_s", dist(d.anywhere)},
        {"dead_declared_s", dist(d.dead_declared)},
        {"dead_known_by_all_s", dist(d.known_by_all)},
        {"not_known_by_all", d.not_known_by_all},
        {"dissemination_s", dist(d.dissemination)},
        {"log2_n", std::round(std::log2(c_.nodes) * 100) / 100},
        {"false_dead", false_dead_members_.size()},
        {"false_dead_views", false_dead_views_},
        {"partition_dead_views", partition_dead_views_},
        {"msgs_per_member_per_s", mean_max(rates)},
        {"bytes_per_member_per_s", mean_max(byte_rates)},
        {"suspicions_raised", suspicions},
        {"refutations", refuted},
        {"deaths_declared", declared},
        {"packets_over_limit", over_limit},
        {"rate_timeline", timeline},
    };
    const double round_s = c_.mode == Mode::kSwim && c_.swim.gossip_interval > 0 ? secs(c_.swim.gossip_interval) : period;
    Json rounds = nullptr;
    if (!d.dissemination.empty()) {
      std::vector<double> r;
      for (double x : d.dissemination) r.push_back(x / round_s);
      rounds = dist(r);
    }
    j["dissemination_rounds"] = rounds;
    j["dissemination_round_s"] = round_s;
    if (c_.mode == Mode::kCentral) {
      const auto& m = nodes_[0];
      j["monitor_msgs_per_s"] = std::round(static_cast<double>(m.msgs + m.received) / dur * 100) / 100;
      j["monitor_msgs_sent_per_s"] = std::round(static_cast<double>(m.msgs) / dur * 100) / 100;
    }
    if (c_.partition) partition_figures(timeline, j);
    if (!c_.pauses.empty()) j["paused_members"] = paused_members_.size();
    return j;
  }

  const SimConfig& c_;
  std::mt19937_64 rng_;
  std::shared_ptr<swim::Names> names_;
  std::vector<Sim> nodes_;
  std::vector<Event> events_;
  std::uint64_t seq_ = 0;
  Time now_ = 0;
  std::vector<CrashRecord> crashes_;
  std::vector<int> crash_index_;
  std::set<MemberIdx> paused_members_;
  std::set<MemberIdx> false_dead_members_;
  std::uint64_t false_dead_views_ = 0, partition_dead_views_ = 0;
  std::vector<Bin> bins_;
  std::optional<Time> reconverged_;
};

void Env::send(MemberIdx to, std::string bytes) { sim_.send(self_, to, std::move(bytes), false); }
void Env::send_stream(MemberIdx to, std::string bytes) { sim_.send(self_, to, std::move(bytes), true); }
void Env::on_change(MemberIdx member, Status now, swim::Incarnation, Time at) { sim_.observe(self_, member, now, at); }

}  // namespace

Json run_membership_sim(const SimConfig& c) {
  Simulation sim(c);
  return sim.run();
}

}  // namespace faultline::node::sim
