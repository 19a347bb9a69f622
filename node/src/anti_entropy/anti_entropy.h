// Background anti-entropy of one node (issue 9): Merkle trees of the ranges
// it replicates, kept up to date as commits land, and a periodic exchange
// (ae_exchange.h) with every other replica of every such range; plus the
// purge of tombstones older than tombstone_grace_ms.
//
// Rounds: every anti_entropy_interval_ms after the previous round ended,
// one exchange at a time, over every (range, other replica) pair, starting
// from a rotating offset so a budget-limited round does not always favour
// the same ranges. Rate limit: an exchange repairs at most
// anti_entropy_keys_per_sec keys, and after repairing k keys the round
// waits k / anti_entropy_keys_per_sec seconds before the next exchange; with
// one message in flight at a time, repair cannot crowd out client traffic.
// A peer that fails an exchange is skipped for the rest of the round (a
// paused replica costs one timeout per round, not one per range).
//
// Tombstones: a key whose record is all tombstones is remembered with its
// newest stamp; each round purges those older than the grace period (the
// storage re-checks under its writer, so a key written since is kept). The
// grace must exceed the interval so every replica has had a round to receive
// the tombstone first; config validation enforces that except in preset
// gc-grace (PRESETS.md), where purged deletes come back.
//
// Start-up: the trees are rebuilt from one scan of the database (no hashes
// are persisted; 10,000 keys take milliseconds).
#ifndef FAULTLINE_NODE_ANTI_ENTROPY_H_
#define FAULTLINE_NODE_ANTI_ENTROPY_H_

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <nlohmann/json.hpp>

#include "anti_entropy/ae_exchange.h"
#include "faultline/node/config.h"
#include "event_log.h"
#include "swim/membership.h"
#include "replication/peer_client.h"
#include "replication/replica.h"
#include "faultline/node/ring.h"
#include "storage/storage.h"

namespace faultline::node {

struct AntiEntropyCounters {
  std::atomic<std::uint64_t> rounds{0};
  std::atomic<std::uint64_t> exchanges{0};        // exchanges this node started
  std::atomic<std::uint64_t> trees_compared{0};   // roots compared
  std::atomic<std::uint64_t> trees_differing{0};  // roots that differed
  std::atomic<std::uint64_t> keys_repaired{0};    // differing keys brought together (as initiator)
  std::atomic<std::uint64_t> keys_fetched{0};
  std::atomic<std::uint64_t> keys_pushed{0};
  std::atomic<std::uint64_t> bytes_sent{0};       // requests sent as initiator + replies sent as responder
  std::atomic<std::uint64_t> errors{0};           // exchanges that stopped on an error
  std::atomic<std::uint64_t> requests_served{0};  // peer.ae_* answered
  std::atomic<std::uint64_t> tombstones_purged{0};
};

class AntiEntropy {
 public:
  // While *paused (the node's zombie mode) no exchange starts: a node that
  // answers no data request does not push data either.
  AntiEntropy(boost::asio::io_context& io, const NodeConfig& config, const Ring& ring, Storage& storage,
              Replica& replica, PeerClient& peers, Membership& membership, EventLog& log,
              const std::atomic<bool>* paused = nullptr);
  ~AntiEntropy();

  // Hooks the storage's commit observer and rebuilds the trees from disk.
  // Call once, before the node serves anything.
  void attach();
  void start();
  void stop();

  // A peer.ae_* request from another replica.
  void handle(const AeRequest& request, std::function<void(nlohmann::json)> reply);

  nlohmann::json status() const;

 private:
  class NodeStore;
  struct Pair {
    std::uint64_t range;
    std::string peer;
  };

  void on_commit(const std::string& key, const Record& stored);
  void schedule(std::chrono::milliseconds delay);
  void round();
  void purge_tombstones();
  void next_exchange();
  void round_done();

  boost::asio::io_context& io_;
  const NodeConfig& config_;
  const Ring& ring_;
  Storage& storage_;
  PeerClient& peers_;
  Membership& membership_;
  EventLog& log_;
  std::unique_ptr<NodeStore> store_;
  RangeTrees trees_;
  AeResponder responder_;
  AntiEntropyCounters counters_;

  mutable std::mutex tomb_mu_;
  std::map<std::string, std::int64_t> tombstones_;  // key -> newest stamp wall (µs), all-tombstone records

  // Rounds run on the strand.
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  std::vector<Pair> work_;
  std::size_t next_ = 0;
  std::size_t rotate_ = 0;
  std::set<std::string> failed_;  // peers that failed this round
  std::atomic<bool> stopped_{false};
  const std::atomic<bool>* paused_;
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_ANTI_ENTROPY_H_
