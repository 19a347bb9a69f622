#include "anti_entropy/anti_entropy.h"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "faultline/node/protocol.h"

namespace faultline::node {

namespace asio = boost::asio;
using Json = nlohmann::json;

namespace {
std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
// Tombstones handed to one purge (the writer re-checks each).
constexpr std::size_t kPurgeBatch = 10000;
}  // namespace

// The store as an exchange sees it: reads from storage, and merges through
// Replica::handle(peer.write), the path every replica write takes (HLC
// update, vv self-covering check, storage merge). Completions are moved off
// the storage writer thread, which must not run an exchange's next step.
class AntiEntropy::NodeStore final : public AeStore {
 public:
  NodeStore(asio::io_context& io, Storage& storage, Replica& replica, std::string self)
      : io_(io), storage_(storage), replica_(replica), self_(std::move(self)) {}
  Record get(const std::string& key) override { return storage_.get(key); }
  void apply(const std::string& key, Record incoming, std::function<void(std::optional<std::string>)> done) override {
    PeerRequest req;
    req.op = PeerOp::kWrite;
    req.from = self_;
    req.key = key;
    req.record = std::move(incoming);
    replica_.handle(req, [this, done = std::move(done)](Json reply) {
      std::optional<std::string> err;
      if (!reply.value("ok", false)) err = reply.value("message", std::string("write refused"));
      asio::post(io_, [done, err] { done(err); });
    });
  }

 private:
  asio::io_context& io_;
  Storage& storage_;
  Replica& replica_;
  std::string self_;
};

AntiEntropy::AntiEntropy(asio::io_context& io, const NodeConfig& config, const Ring& ring, Storage& storage,
                         Replica& replica, PeerClient& peers, Membership& membership, EventLog& log,
                         const std::atomic<bool>* paused)
    : io_(io),
      config_(config),
      ring_(ring),
      storage_(storage),
      peers_(peers),
      membership_(membership),
      log_(log),
      store_(std::make_unique<NodeStore>(io, storage, replica, config.node_id)),
      trees_(config.anti_entropy_depth),
      responder_(trees_, *store_, config.max_frame_bytes),
      strand_(asio::make_strand(io)),
      timer_(strand_),
      paused_(paused) {}

AntiEntropy::~AntiEntropy() = default;

void AntiEntropy::attach() {
  for (std::size_t p = 0; p < ring_.partitions(); ++p) {
    const auto reps = ring_.partition_replicas(p, config_.n);
    if (std::find(reps.begin(), reps.end(), config_.node_id) != reps.end()) trees_.add_range(p);
  }
  storage_.set_commit_observer([this](const std::string& key, const Record& stored) { on_commit(key, stored); });
  const auto t0 = std::chrono::steady_clock::now();
  storage_.for_each_record([this](const std::string& key, const Record& r) { on_commit(key, r); });
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  log_.info("anti_entropy_trees_built",
            {{"ranges", trees_.ranges().size()}, {"keys", trees_.keys()}, {"depth", trees_.depth()}, {"ms", ms}});
}

void AntiEntropy::on_commit(const std::string& key, const Record& stored) {
  trees_.update(ring_.partition_of(key), key, stored);
  std::lock_guard lock(tomb_mu_);
  if (all_tombstones(stored))
    tombstones_[key] = max_stamp(stored).value_or(Stamp{}).wall;
  else
    tombstones_.erase(key);
}

void AntiEntropy::start() {
  asio::post(strand_, [this] { schedule(std::chrono::milliseconds(config_.anti_entropy_interval_ms)); });
}

void AntiEntropy::stop() {
  stopped_ = true;
  asio::post(strand_, [this] { timer_.cancel(); });
}

void AntiEntropy::schedule(std::chrono::milliseconds delay) {
  if (stopped_) return;
  timer_.expires_after(delay);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) round();
  });
}

void AntiEntropy::round() {
  if (stopped_) return;
  counters_.rounds.fetch_add(1, std::memory_order_relaxed);
  purge_tombstones();
  if (!config_.anti_entropy || (paused_ && paused_->load()))
    return schedule(std::chrono::milliseconds(config_.anti_entropy_interval_ms));
  work_.clear();
  failed_.clear();
  for (auto r : trees_.ranges())
    for (const auto& peer : ring_.partition_replicas(r, config_.n))
      if (peer != config_.node_id) work_.push_back({r, peer});
  if (!work_.empty()) {
    rotate_ = (rotate_ + 1) % work_.size();
    std::rotate(work_.begin(), work_.begin() + static_cast<std::ptrdiff_t>(rotate_), work_.end());
  }
  next_ = 0;
  next_exchange();
}

void AntiEntropy::purge_tombstones() {
  if (config_.tombstone_grace_ms <= 0) return;
  const std::int64_t cutoff = now_us() - config_.tombstone_grace_ms * 1000;
  std::vector<std::string> keys;
  {
    std::lock_guard lock(tomb_mu_);
    for (const auto& [key, wall] : tombstones_)
      if (wall < cutoff && keys.size() < kPurgeBatch) keys.push_back(key);
  }
  if (keys.empty()) return;
  storage_.purge_tombstones(std::move(keys), cutoff, [this](std::optional<std::string> err, std::vector<std::string> purged) {
    if (err) {
      log_.warn("tombstone_purge_failed", {{"error", *err}});
      return;
    }
    if (purged.empty()) return;
    counters_.tombstones_purged.fetch_add(purged.size(), std::memory_order_relaxed);
    log_.info("tombstones_purged", {{"count", purged.size()}, {"grace_ms", config_.tombstone_grace_ms}});
  });
}

void AntiEntropy::next_exchange() {
  if (stopped_) return;
  if (paused_ && paused_->load()) return round_done();
  while (next_ < work_.size() && (failed_.count(work_[next_].peer) || !membership_.usable(work_[next_].peer))) ++next_;
  if (next_ >= work_.size()) return round_done();
  const Pair pair = work_[next_++];
  counters_.exchanges.fetch_add(1, std::memory_order_relaxed);
  ExchangeOptions o;
  o.self = config_.node_id;
  o.range = pair.range;
  o.max_keys = static_cast<std::size_t>(config_.anti_entropy_keys_per_sec);
  o.max_message_bytes = config_.max_frame_bytes / 4;
  if (config_.tombstone_grace_ms > 0) o.expired_before_us = now_us() - config_.tombstone_grace_ms * 1000;
  AeSend send = [this, peer = pair.peer](Json request, std::function<void(std::optional<std::string>, Json)> cb) {
    peers_.call(peer, std::move(request), std::chrono::milliseconds(config_.request_timeout_ms),
                [cb = std::move(cb)](PeerResult r) {
                  if (r.error) cb(r.error, Json());
                  else cb(std::nullopt, std::move(r.reply));
                });
  };
  run_exchange(trees_, *store_, std::move(o), std::move(send), [this, pair](ExchangeResult res) {
    asio::post(strand_, [this, pair, res = std::move(res)] {
      counters_.bytes_sent.fetch_add(res.bytes_sent, std::memory_order_relaxed);
      if (res.compared) counters_.trees_compared.fetch_add(1, std::memory_order_relaxed);
      if (res.differed) counters_.trees_differing.fetch_add(1, std::memory_order_relaxed);
      counters_.keys_fetched.fetch_add(res.fetched, std::memory_order_relaxed);
      counters_.keys_pushed.fetch_add(res.pushed, std::memory_order_relaxed);
      if (res.error) {
        counters_.errors.fetch_add(1, std::memory_order_relaxed);
        failed_.insert(pair.peer);
        log_.warn("anti_entropy_error", {{"range", pair.range}, {"peer", pair.peer}, {"error", *res.error}});
      } else {
        counters_.keys_repaired.fetch_add(res.differing_keys, std::memory_order_relaxed);
      }
      if (res.differing_keys > 0)
        log_.info("anti_entropy_repair", {{"range", pair.range},
                                          {"peer", pair.peer},
                                          {"keys", res.differing_keys},
                                          {"fetched", res.fetched},
                                          {"pushed", res.pushed},
                                          {"messages", res.messages},
                                          {"bytes_sent", res.bytes_sent},
                                          {"bytes_received", res.bytes_received},
                                          {"ok", !res.error}});
      // Rate limit: k repaired keys cost k / keys_per_sec seconds of pause.
      const auto pause = std::chrono::milliseconds(res.differing_keys * 1000 /
                                                   static_cast<std::uint64_t>(config_.anti_entropy_keys_per_sec));
      if (pause.count() == 0) return next_exchange();
      timer_.expires_after(pause);
      timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) next_exchange();
      });
    });
  });
}

void AntiEntropy::round_done() { schedule(std::chrono::milliseconds(config_.anti_entropy_interval_ms)); }

void AntiEntropy::handle(const AeRequest& request, std::function<void(Json)> reply) {
  counters_.requests_served.fetch_add(1, std::memory_order_relaxed);
  responder_.handle(request, [this, reply = std::move(reply)](Json r) {
    counters_.bytes_sent.fetch_add(kFrameHeaderBytes + r.dump().size(), std::memory_order_relaxed);
    reply(std::move(r));
  });
}

Json AntiEntropy::status() const {
  auto v = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  std::size_t tombstones;
  {
    std::lock_guard lock(tomb_mu_);
    tombstones = tombstones_.size();
  }
  return {{"enabled", config_.anti_entropy},
          {"interval_ms", config_.anti_entropy_interval_ms},
          {"ranges", trees_.ranges().size()},
          {"keys", trees_.keys()},
          {"tombstones", tombstones},
          {"rounds", v(counters_.rounds)},
          {"exchanges", v(counters_.exchanges)},
          {"trees_compared", v(counters_.trees_compared)},
          {"trees_differing", v(counters_.trees_differing)},
          {"keys_repaired", v(counters_.keys_repaired)},
          {"keys_fetched", v(counters_.keys_fetched)},
          {"keys_pushed", v(counters_.keys_pushed)},
          {"bytes_sent", v(counters_.bytes_sent)},
          {"errors", v(counters_.errors)},
          {"requests_served", v(counters_.requests_served)},
          {"tombstones_purged", v(counters_.tombstones_purged)}};
}

}  // namespace faultline::node
