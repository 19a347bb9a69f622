#include "node.h"

#include <atomic>
#include <map>
#include <filesystem>
#include <thread>

#include <boost/asio.hpp>

#include "anti_entropy/anti_entropy.h"
#include "replication/coordinator.h"
#include "replication/hint_replayer.h"
#include "server.h"
#include "swim/swim_membership.h"
#include "swim/swim_stream.h"

namespace faultline::node {

namespace asio = boost::asio;
using Json = nlohmann::json;

namespace {
std::string log_path(const NodeConfig& c) {
  if (!c.log_file.empty()) return c.log_file;
  std::filesystem::create_directories(c.data_dir);
  return (std::filesystem::path(c.data_dir) / "node.log").string();
}
std::unique_ptr<Membership> make_membership(asio::io_context& io, const NodeConfig& c, EventLog& log) {
  if (c.membership == MembershipMode::kStatic)
    return std::make_unique<StaticMembership>(c.members, c.node_id, c.unreachable_after);
  return std::make_unique<SwimMembership>(io, c, log);
}
std::vector<std::string> member_ids(const NodeConfig& c) {
  std::vector<std::string> ids;
  for (const auto& m : c.members) ids.push_back(m.id);
  return ids;
}
}  // namespace

// Members are declared in dependency order; destruction runs in reverse, so
// the io_context (and every handler it holds) outlives nothing it points to.
struct Node::Impl {
  explicit Impl(NodeConfig cfg)
      : config(std::move(cfg)),
        limits{config.max_frame_bytes, config.max_key_bytes, config.max_value_bytes},
        log(log_path(config), config.node_id, EventLog::parse_level(config.log_level)),
        storage(Storage::open({config.data_dir, config.node_id, config.versioning, config.fsync,
                               config.fsync_period_ms, config.group_commit_max})),
        ring(member_ids(config), config.vnodes),
        membership_owner(make_membership(io, config, log)),
        membership(*membership_owner),
        work(asio::make_work_guard(io)),
        peers(io, config.members, limits),
        replica(*storage, clock, dots, config, log, counters),
        coordinator(CoordinatorDeps{io, config, ring, membership, peers, replica, *storage, clock, dots, log, counters}),
        replayer(io, config, *storage, membership, coordinator, log, counters),
        anti_entropy(io, config, ring, *storage, replica, peers, membership, log, &zombie),
        server(io, config.listen_host, config.listen_port, limits,
               [this](Json m, Server::Reply reply) { dispatch(std::move(m), std::move(reply)); }, log, counters) {
    // A restarted node must never stamp below what it already stored, nor
    // reissue a dot: seed the clocks from disk.
    clock.update({storage->max_stamp_wall(), 0});
    dots.observe(storage->max_own_counter());
    // Trees follow every commit from here on, starting from what is on disk.
    anti_entropy.attach();
    membership.subscribe([this](const std::string& id, Liveness now) {
      log.info("member_state", {{"member", id}, {"state", to_string(now)}});
      if (now == Liveness::kAlive) replayer.kick();
    });
  }

  ~Impl() {
    // The storage writer may still run callbacks that post into `io`; stop
    // and join it while io still exists.
    io.stop();
    storage.reset();
  }

  void dispatch(Json m, Server::Reply reply) {
    const Json id = m.contains("id") ? m["id"] : Json();
    try {
      // The detector's own traffic (SWIM push-pull) shares the TCP port.
      if (swim::is_push_pull_message(m)) {
        reply(membership.on_stream_message(m), false);
        return;
      }
      Request parsed = parse_request(m, limits);
      if (auto* ae = std::get_if<AeRequest>(&parsed)) {
        if (zombie.load()) return;  // a zombie answers no data request
        anti_entropy.handle(*ae, [reply](Json r) { reply(std::move(r), false); });
        return;
      }
      if (auto* peer = std::get_if<PeerRequest>(&parsed)) {
        // Zombie: liveness probes are answered, data is not (the reply is
        // dropped and the caller times out), like a node whose disk hangs.
        if (zombie.load() && peer->op != PeerOp::kPing) return;
        replica.handle(*peer, [reply](Json r) { reply(std::move(r), false); });
        return;
      }
      ClientRequest& req = std::get<ClientRequest>(parsed);
      switch (req.op) {
        case ClientOp::kPing:
          reply(Json{{"id", req.id}, {"ok", true}, {"node", config.node_id}}, false);
          return;
        case ClientOp::kStatus: {
          Json s = status();
          s["id"] = req.id;
          reply(std::move(s), false);
          return;
        }
        case ClientOp::kAdmin: {
          if (req.zombie) {
            zombie = *req.zombie;
            log.warn("zombie", {{"on", *req.zombie}});
          }
          reply(Json{{"id", req.id}, {"ok", true}, {"zombie", zombie.load()}}, false);
          return;
        }
        default:
          if (zombie.load()) return;  // hang the client too
          coordinator.handle(req, [reply](Json r) { reply(std::move(r), false); });
          return;
      }
    } catch (const ProtocolError& e) {
      counters.bad_requests.fetch_add(1, std::memory_order_relaxed);
      log.debug("bad_request", {{"error", e.code}, {"message", e.what()}});
      // Requests that were refused did nothing: outcome fail.
      reply(error_reply(id, e.code, e.what(), Outcome::kFail), e.close_connection);
    }
  }

  Json status() const {
    Json members = Json::array();
    for (const auto& m : config.members)
      members.push_back({{"id", m.id},
                         {"addr", m.host + ":" + std::to_string(m.port)},
                         {"state", to_string(membership.state(m.id))}});
    Json hints = Json::object();
    std::uint64_t total = 0;
    for (const auto& [owner, n] : storage->hint_counts()) {
      hints[owner] = n;
      total += static_cast<std::uint64_t>(n);
    }
    const auto st = storage->stats();
    const Json detector = membership.describe();
    if (detector.contains("view")) {
      std::map<std::string, Json> by_id;
      for (const auto& v : detector["view"]) by_id[v["member"].get<std::string>()] = v;
      for (auto& m : members)
        if (auto it = by_id.find(m["id"].get<std::string>()); it != by_id.end()) {
          m["incarnation"] = it->second["incarnation"];
          m["since_ms_ago"] = it->second["since_ms_ago"];
        }
    }
    return {{"ok", true},
            {"node", config.node_id},
            {"membership", detector},
            {"protocol", kPeerProtocolVersion},
            {"zombie", zombie.load()},
            {"members", members},
            {"hints", {{"pending", total}, {"by_owner", hints}}},
            {"counters", counters.to_json()},
            {"anti_entropy", anti_entropy.status()},
            {"storage", {{"writes", st.writes}, {"commits", st.commits}}},
            {"config", config.to_json()}};
  }

  NodeConfig config;
  Limits limits;
  std::atomic<bool> zombie{false};
  mutable EventLog log;
  NodeCounters counters;
  std::unique_ptr<Storage> storage;
  Ring ring;
  // The io_context comes before the membership, whose UDP socket lives on it.
  asio::io_context io;
  std::unique_ptr<Membership> membership_owner;
  Membership& membership;
  HybridClock clock;
  DotCounter dots;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  PeerClient peers;
  Replica replica;
  Coordinator coordinator;
  HintReplayer replayer;
  AntiEntropy anti_entropy;
  Server server;
};

Node::Node(NodeConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Node::~Node() {
  stop();
}

void Node::run(bool handle_signals) {
  auto& im = *impl_;
  std::unique_ptr<asio::signal_set> signals;
  if (handle_signals) {
    signals = std::make_unique<asio::signal_set>(im.io, SIGINT, SIGTERM);
    signals->async_wait([this](boost::system::error_code ec, int sig) {
      if (ec) return;
      impl_->log.info("signal", {{"signal", sig}});
      stop();
    });
  }
  im.server.start();
  im.membership.start();
  im.replayer.start();
  im.anti_entropy.start();
  im.log.info("node_started", {{"port", port()}, {"config", im.config.to_json()}});
  im.log.flush();
  std::vector<std::thread> threads;
  for (int i = 1; i < im.config.io_threads; ++i) threads.emplace_back([&im] { im.io.run(); });
  im.io.run();
  for (auto& t : threads) t.join();
  im.log.info("node_stopped");
  im.log.flush();
}

void Node::stop() {
  auto& im = *impl_;
  im.replayer.stop();
  im.anti_entropy.stop();
  im.membership.stop();
  im.server.stop();
  im.peers.close_all();
  im.work.reset();
  im.io.stop();
}

std::uint16_t Node::port() const { return impl_->server.port(); }

nlohmann::json Node::status() const { return impl_->status(); }

}  // namespace faultline::node
