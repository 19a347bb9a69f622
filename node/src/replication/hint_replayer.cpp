#include "replication/hint_replayer.h"

#include <algorithm>
#include <set>

#include <boost/asio/post.hpp>

namespace faultline::node {

namespace asio = boost::asio;

HintReplayer::HintReplayer(asio::io_context& io, const NodeConfig& config, Storage& storage, Membership& membership,
                           Coordinator& coordinator, EventLog& log, NodeCounters& counters)
    : io_(io),
      config_(config),
      storage_(storage),
      membership_(membership),
      coordinator_(coordinator),
      log_(log),
      counters_(counters),
      strand_(asio::make_strand(io)),
      timer_(strand_) {}

void HintReplayer::start() {
  asio::post(strand_, [this] { schedule(std::chrono::milliseconds(config_.hint_replay_interval_ms)); });
}

void HintReplayer::stop() {
  stopped_ = true;
  asio::post(strand_, [this] { timer_.cancel(); });
}

void HintReplayer::kick() {
  asio::post(strand_, [this] { round(); });
}

void HintReplayer::schedule(std::chrono::milliseconds delay) {
  if (stopped_) return;
  timer_.expires_after(delay);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) round();
  });
}

void HintReplayer::round_done() {
  busy_ = false;
  schedule(std::chrono::milliseconds(config_.hint_replay_interval_ms));
}

void HintReplayer::round() {
  if (stopped_ || busy_) return;
  busy_ = true;
  std::vector<Hint> to_send;
  std::set<std::string> owners_with_hints;
  try {
    if (auto dropped = storage_.drop_hints_older_than(hint_clock_ms() - config_.hint_window_ms); dropped > 0) {
      counters_.hints_expired.fetch_add(static_cast<std::uint64_t>(dropped), std::memory_order_relaxed);
      log_.warn("hints_expired", {{"count", dropped}});
    }
    std::int64_t budget =
        std::max<std::int64_t>(1, std::int64_t{config_.hint_replay_per_sec} * config_.hint_replay_interval_ms / 1000);
    for (const auto& owner : storage_.hint_owners()) {
      owners_with_hints.insert(owner);
      if (budget <= 0) break;
      const int limit = membership_.usable(owner) ? static_cast<int>(std::min<std::int64_t>(budget, 1 << 20)) : 1;
      auto hints = storage_.hints_for(owner, limit);
      budget -= static_cast<std::int64_t>(hints.size());
      for (auto& h : hints) to_send.push_back(std::move(h));
    }
  } catch (const std::exception& e) {
    log_.warn("hint_replay_error", {{"error", e.what()}});
  }
  for (const auto& m : membership_.members())
    if (m.id != config_.node_id && !membership_.usable(m.id) && !owners_with_hints.count(m.id))
      coordinator_.call_replica(m.id, PeerOp::kPing, "", nullptr, "", [](PeerResult) {});
  if (to_send.empty()) {
    round_done();
    return;
  }
  struct Round {
    std::mutex mu;
    std::size_t outstanding = 0;
    std::vector<std::int64_t> acked;
  };
  auto state = std::make_shared<Round>();
  state->outstanding = to_send.size();
  auto finish = [this](std::vector<std::int64_t> acked) {
    if (acked.empty()) {
      asio::post(strand_, [this] { round_done(); });
      return;
    }
    const auto n = acked.size();
    storage_.delete_hints(std::move(acked), [this, n](std::optional<std::string> err) {
      if (!err) {
        counters_.hints_delivered.fetch_add(n, std::memory_order_relaxed);
        log_.info("hints_delivered", {{"count", n}});
      } else {
        log_.warn("hint_delete_failed", {{"error", *err}});
      }
      asio::post(strand_, [this] { round_done(); });
    });
  };
  for (const auto& h : to_send) {
    coordinator_.call_replica(h.owner, PeerOp::kWrite, h.key, &h.record, "",
                              [state, id = h.id, finish](PeerResult r) {
                                std::unique_lock lock(state->mu);
                                if (!r.error) state->acked.push_back(id);
                                if (--state->outstanding != 0) return;
                                auto acked = std::move(state->acked);
                                lock.unlock();
                                finish(std::move(acked));
                              });
  }
}

}  // namespace faultline::node
