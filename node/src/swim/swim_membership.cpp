#include "swim/swim_membership.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "swim/swim_stream.h"

namespace faultline::node {

namespace asio = boost::asio;
using asio::ip::udp;
using Json = nlohmann::json;

namespace {
// A push-pull round trip: connect, a frame of up to ~1.4 MB each way on
// loopback or a LAN. Past this the peer is paused or partitioned; the next
// period tries again.
constexpr std::chrono::milliseconds kPushPullTimeout{5000};

Liveness liveness(swim::Status s) {
  switch (s) {
    case swim::Status::kAlive: return Liveness::kAlive;
    case swim::Status::kSuspect: return Liveness::kSuspect;
    default: return Liveness::kDead;
  }
}
}  // namespace

SwimMembership::SwimMembership(asio::io_context& io, const NodeConfig& config, EventLog& log)
    : config_(config), log_(log), members_(config.members), socket_(io), timer_(io),
      names_(std::make_shared<swim::Names>()) {
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(config.listen_host, ec);
  if (ec) throw std::runtime_error("membership: listen host '" + config.listen_host + "' is not an IP address");
  const udp::endpoint ep(addr, config.listen_port);
  socket_.open(ep.protocol(), ec);
  if (!ec) socket_.bind(ep, ec);
  if (ec)
    throw std::runtime_error("membership: cannot bind UDP " + config.listen_host + ":" +
                             std::to_string(config.listen_port) + ": " + ec.message());
  // Room for a burst of probes while this node is paused (SIGSTOP).
  socket_.set_option(asio::socket_base::receive_buffer_size(1 << 20), ec);
  peers_ = std::make_unique<PeerClient>(io, members_,
                                        Limits{config.max_frame_bytes, config.max_key_bytes, config.max_value_bytes});
  std::vector<swim::MemberIdx> all;
  for (const auto& m : members_) {
    const auto i = names_->intern(m.id);
    names_->set_addr(i, m.host + ":" + std::to_string(m.port));
    all.push_back(i);
  }
  self_ = *names_->find(config.node_id);
  const auto seed = static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()) ^ (std::uint64_t{self_} << 32);
  if (config.membership == MembershipMode::kCentral) {
    swim::CentralConfig cc;
    cc.monitor = *names_->find(config.central_monitor);
    cc.heartbeat_interval = config.heartbeat_ms * swim::kMillis;
    cc.suspect_after = config.suspect_after_ms * swim::kMillis;
    cc.dead_after = config.dead_after_ms * swim::kMillis;
    central_ = std::make_unique<swim::CentralNode>(cc, names_, self_, seed, static_cast<swim::SwimEnv&>(*this));
  } else {
    swim::SwimConfig sc;
    sc.protocol_period = config.swim_period_ms * swim::kMillis;
    sc.probe_timeout = config.swim_probe_timeout_ms * swim::kMillis;
    sc.push_pull_interval = config.swim_push_pull_ms * swim::kMillis;
    swim_ = std::make_unique<swim::SwimNode>(sc, names_, self_, seed, static_cast<swim::SwimEnv&>(*this));
  }
  std::lock_guard lock(mu_);
  // The configured members are the seeds and the starting view: all alive
  // at incarnation 0. A member that restarted announces itself (join) and
  // is told by the others if they had declared it dead, so it refutes.
  if (swim_) {
    swim_->bootstrap(all, now());
  } else {
    central_->bootstrap(all, now());
  }
}

SwimMembership::~SwimMembership() {
  boost::system::error_code ec;
  socket_.close(ec);
  timer_.cancel();
}

swim::Time SwimMembership::now() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_).count();
}

Liveness SwimMembership::state(const std::string& id) const {
  std::lock_guard lock(mu_);
  const auto i = names_->find(id);
  if (!i) return Liveness::kDead;
  if (*i == self_) return Liveness::kAlive;
  return liveness(swim_ ? swim_->status_of(*i) : central_->status_of(*i));
}

void SwimMembership::subscribe(Listener listener) {
  std::lock_guard lock(mu_);
  listeners_.push_back(std::move(listener));
}

void SwimMembership::report_failure(const std::string&) { data_path_failures_.fetch_add(1, std::memory_order_relaxed); }
void SwimMembership::report_success(const std::string&) { data_path_successes_.fetch_add(1, std::memory_order_relaxed); }

void SwimMembership::start() {
  std::unique_lock lock(mu_);
  if (swim_) {
    std::vector<swim::MemberIdx> seeds;
    for (const auto& m : members_)
      if (m.id != config_.node_id) seeds.push_back(*names_->find(m.id));
    swim_->join(seeds, now());
  }
  log_.info("membership_started", {{"mode", to_string(config_.membership)}});
  arm_timer(lock);
  lock.unlock();
  receive_loop();
}

void SwimMembership::stop() {
  std::unique_lock lock(mu_);
  if (stopped_) return;
  if (swim_) swim_->leave(now());  // the left(self) datagrams go out now
  stopped_ = true;
  boost::system::error_code ec;
  socket_.close(ec);
  timer_.cancel();
  lock.unlock();
  peers_->close_all();  // its failed calls take mu_ and find stopped_
}

void SwimMembership::receive_loop() {
  socket_.async_receive_from(asio::buffer(buf_), sender_, [this](boost::system::error_code ec, std::size_t n) {
    if (ec == asio::error::operation_aborted) return;
    std::unique_lock lock(mu_);
    if (stopped_) return;
    if (!ec) {
      const std::string_view bytes(buf_.data(), n);
      if (swim_) swim_->receive(now(), bytes, false);
      else central_->receive(now(), bytes);
      arm_timer(lock);
    }
    notify(lock);
    receive_loop();
  });
}

void SwimMembership::arm_timer(std::unique_lock<std::mutex>&) {
  const swim::Time d = swim_ ? swim_->next_deadline() : central_->next_deadline();
  if (d == INT64_MAX || d == armed_) return;
  armed_ = d;
  timer_.expires_at(start_ + std::chrono::microseconds(d));
  timer_.async_wait([this, d](boost::system::error_code ec) {
    if (ec) return;
    std::unique_lock lock(mu_);
    if (stopped_ || armed_ != d) return;
    armed_ = -1;
    if (swim_) swim_->tick(now());
    else central_->tick(now());
    arm_timer(lock);
    notify(lock);
  });
}

void SwimMembership::notify(std::unique_lock<std::mutex>& lock) {
  if (pending_.empty()) return;
  auto pending = std::move(pending_);
  pending_.clear();
  auto listeners = listeners_;
  lock.unlock();
  for (const auto& [id, l] : pending)
    for (auto& f : listeners) f(id, l);
  lock.lock();
}

void SwimMembership::send(swim::MemberIdx to, std::string bytes) {
  const std::string& addr = names_->addr(to);
  auto it = endpoints_.find(addr);
  if (it == endpoints_.end()) {
    const auto colon = addr.rfind(':');
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(addr.substr(0, colon == std::string::npos ? 0 : colon), ec);
    if (ec || colon == std::string::npos) {
      ++send_errors_;
      return;
    }
    const auto port = static_cast<std::uint16_t>(std::stoi(addr.substr(colon + 1)));
    it = endpoints_.emplace(addr, udp::endpoint(ip, port)).first;
  }
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(bytes), it->second, 0, ec);
  if (ec) ++send_errors_;
}

void SwimMembership::send_stream(swim::MemberIdx to, std::string bytes) {
  pp_max_bytes_ = std::max(pp_max_bytes_, bytes.size());
  if (capture_to_ && *capture_to_ == to) {  // answering a push-pull: goes back on its connection
    captured_.push_back(std::move(bytes));
    return;
  }
  if (bytes.size() > swim::kMaxPushPullBytes) {
    ++push_pull_too_large_;
    return;
  }
  const std::string& peer = names_->name(to);
  // PeerClient fails an unknown peer inline, under our lock: only the
  // configured members (the ring) are reachable over TCP anyway.
  if (std::none_of(members_.begin(), members_.end(), [&](const Member& m) { return m.id == peer; })) {
    ++pp_unconfigured_;
    return;
  }
  ++pp_sent_;
  peers_->call(peer, swim::make_push_pull_message(config_.node_id, bytes), kPushPullTimeout,
               [this, peer](PeerResult r) {
                 std::unique_lock lock(mu_);
                 if (stopped_) return;
                 if (r.error || !r.reply.value("ok", false)) {
                   ++pp_failed_;
                   log_.debug("push_pull_failed",
                              {{"peer", peer}, {"error", r.error ? *r.error : r.reply.value("message", r.reply.dump())}});
                   return;
                 }
                 if (!r.reply.contains("view")) {  // the peer had nothing to answer
                   ++pp_ok_;
                   return;
                 }
                 auto v = swim::push_pull_view(r.reply);
                 if (!v.packet) {
                   ++pp_bad_;
                   log_.warn("push_pull_bad_reply", {{"peer", peer}, {"error", v.error}});
                   return;
                 }
                 ++pp_ok_;
                 pp_max_bytes_ = std::max(pp_max_bytes_, v.packet->size());
                 swim_->receive(now(), *v.packet, true);
                 arm_timer(lock);
                 notify(lock);
               });
}

Json SwimMembership::on_stream_message(const Json& m) {
  const Json id = m.contains("id") ? m["id"] : Json();
  auto refuse = [&](const char* code, const std::string& message) {
    return Json{{"id", id}, {"ok", false}, {"error", code}, {"message", message}};
  };
  std::unique_lock lock(mu_);
  if (!swim_) return refuse("unknown_op", "push-pull is a swim message; this node runs central membership");
  if (stopped_) return refuse("unavailable", "membership stopped");
  const auto from = m.find("from");
  auto v = swim::push_pull_view(m);
  const bool from_ok = from != m.end() && from->is_string() && !from->get_ref<const std::string&>().empty() &&
                       from->get_ref<const std::string&>().size() <= 255;  // a wire name's limit
  if (!v.packet || !from_ok) {
    ++pp_bad_;
    const std::string why = v.packet ? "push-pull \"from\" is not a member name (a string of 1-255 bytes)" : v.error;
    log_.warn("push_pull_bad_request", {{"error", why}});
    return refuse("bad_request", why);
  }
  ++pp_served_;
  pp_max_bytes_ = std::max(pp_max_bytes_, v.packet->size());
  capture_to_ = names_->intern(from->get<std::string>());
  captured_.clear();
  swim_->receive(now(), *v.packet, true);
  capture_to_.reset();
  auto captured = std::move(captured_);
  captured_.clear();
  // The core answers a push-pull last; anything it sent the caller before
  // (a rejoin sync) goes out as its own call.
  std::optional<std::string> answer;
  if (!captured.empty()) {
    answer = std::move(captured.back());
    captured.pop_back();
  }
  for (auto& b : captured) send_stream(*names_->find(from->get<std::string>()), std::move(b));
  arm_timer(lock);
  notify(lock);
  Json reply = {{"id", id}, {"ok", true}};
  if (answer) reply["view"] = swim::base64_encode(*answer);
  return reply;
}

std::optional<std::chrono::milliseconds> SwimMembership::down_for(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = down_since_.find(id);
  if (it == down_since_.end()) return std::nullopt;
  return std::chrono::milliseconds((now() - it->second) / swim::kMillis);
}

void SwimMembership::on_change(swim::MemberIdx member, swim::Status s, swim::Incarnation inc, swim::Time at) {
  const std::string& id = names_->name(member);
  // suspect -> dead keeps the first time: down since it was last alive.
  if (liveness(s) == Liveness::kAlive)
    down_since_.erase(id);
  else
    down_since_.emplace(id, at);
  // One line per state change, with the wall-clock time the log adds: the
  // harness computes detection times and false positives from these.
  log_.info("member_change", {{"member", id}, {"state", swim::to_string(s)}, {"incarnation", inc},
                              {"mode", to_string(config_.membership)}});
  log_.flush();  // state changes are rare and the harness reads them while the node runs
  pending_.emplace_back(id, liveness(s));
}

Json SwimMembership::describe() const {
  std::lock_guard lock(mu_);
  const swim::Time t = now();
  Json view = Json::array();
  const auto members = swim_ ? swim_->view() : central_->view();
  for (const auto& v : members)
    view.push_back({{"member", names_->name(v.member)},
                    {"state", swim::to_string(v.status)},
                    {"incarnation", v.incarnation},
                    {"since_ms_ago", (t - v.since) / swim::kMillis}});
  const auto& k = swim_ ? swim_->counters() : central_->counters();
  Json sent = Json::object(), received = Json::object();
  for (int i = 1; i < swim::kMsgTypes; ++i) {
    const auto name = std::string(swim::to_string(static_cast<swim::MsgType>(i)));
    sent[name] = k.sent[static_cast<std::size_t>(i)];
    received[name] = k.received[static_cast<std::size_t>(i)];
  }
  Json out = {{"mode", to_string(config_.membership)},
              {"view", view},
              {"counters",
               {{"sent", sent},
                {"received", received},
                {"bytes_sent", k.bytes_sent},
                {"bytes_received", k.bytes_received},
                {"bad_packets", k.bad_packets},
                {"suspicions_raised", k.suspicions_raised},
                {"refuted", k.refuted},
                {"deaths_declared", k.deaths_declared},
                {"false_deaths", k.false_deaths},
                {"send_errors", send_errors_},
                {"push_pull_too_large", push_pull_too_large_},
                {"push_pull_tcp",
                 {{"sent", pp_sent_},
                  {"answered", pp_ok_},
                  {"failed", pp_failed_},
                  {"unconfigured", pp_unconfigured_},
                  {"served", pp_served_},
                  {"bad", pp_bad_},
                  {"max_bytes", pp_max_bytes_}}},
                {"data_path_failures", data_path_failures_.load()},
                {"data_path_successes", data_path_successes_.load()}}}};
  if (swim_) {
    out["awareness"] = swim_->awareness();
    out["incarnation"] = swim_->incarnation_of(self_);
  }
  return out;
}

}  // namespace faultline::node
