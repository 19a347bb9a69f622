// The anti-entropy exchange between two replicas of one range, independent
// of sockets and timers: the node (anti_entropy.h) runs it over PeerClient,
// node/bench/merkle_bench runs it between two in-process stores. Both use
// the same messages (ae_wire.h) and the same code below.
//
// One exchange, started by the initiator:
//   1. compare roots (peer.ae_root); equal: done, one round trip;
//   2. descend level by level (peer.ae_tree), asking only for the children
//      of nodes that differed at the level above;
//   3. at the leaves (peer.ae_leaves), compare (key, digest) entries: the
//      keys whose digests differ, or that one side lacks, are the repair set;
//   4. fetch the peer's records of those keys (peer.ae_fetch) and merge them
//      locally through the store's ordinary merge path (AeStore::apply);
//   5. push the merged local records the peer lacks (peer.ae_push), merged
//      there the same way.
// Merging by the store's version rules (lww or vv with siblings) makes the
// exchange safe in any order and repeatable: both sides end with the merge
// of what they held, exactly as after read repair.
//
// Bounds: at most kAeMaxNodes differing nodes are followed per level and at
// most `max_keys` keys are repaired per exchange; the rest is found again by
// the next exchange. Bytes: O(depth * differing subtrees * 16 hashes) + the
// differing leaves' entries + the differing records; nothing grows with the
// number of keys that agree (beyond the few keys sharing a leaf).
#ifndef FAULTLINE_NODE_AE_EXCHANGE_H_
#define FAULTLINE_NODE_AE_EXCHANGE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/node/ae_wire.h"
#include "anti_entropy/merkle_tree.h"
#include "faultline/node/version.h"

namespace faultline::node {

// The Merkle trees of the ranges one node replicates. Updated from the
// storage writer thread as commits land, read by exchanges: every access
// takes the one mutex.
class RangeTrees {
 public:
  explicit RangeTrees(int depth) : depth_(depth) {}
  int depth() const { return depth_; }

  void add_range(std::uint64_t range);
  bool has(std::uint64_t range) const;
  std::vector<std::uint64_t> ranges() const;
  // The key's stored record changed (empty: gone). Unknown ranges are ignored.
  void update(std::uint64_t range, const std::string& key, const Record& stored);
  // Keys tracked over all ranges.
  std::size_t keys() const;

  // Runs f(tree) under the lock; throws std::out_of_range for an unknown range.
  template <class F>
  auto with(std::uint64_t range, F&& f) {
    std::lock_guard lock(mu_);
    return f(trees_.at(range));
  }

 private:
  int depth_;
  mutable std::mutex mu_;
  std::map<std::uint64_t, MerkleTree> trees_;
};

// What an exchange needs from the store.
class AeStore {
 public:
  virtual ~AeStore() = default;
  // The stored record (empty if none). May throw.
  virtual Record get(const std::string& key) = 0;
  // Merges `incoming` into the key's record by the store's version rules;
  // `done` runs once the result is durable (nullopt) or failed.
  virtual void apply(const std::string& key, Record incoming, std::function<void(std::optional<std::string>)> done) = 0;
};

// Answers the peer.ae_* requests of another replica.
class AeResponder {
 public:
  // Replies above max_reply_bytes / 2 of records are cut short ("more").
  AeResponder(RangeTrees& trees, AeStore& store, std::size_t max_reply_bytes)
      : trees_(trees), store_(store), max_reply_bytes_(max_reply_bytes) {}
  // `reply` gets {"id", "ok": true, ...} or an error reply; it may run on
  // another thread (after a push is durable).
  void handle(const AeRequest& request, std::function<void(nlohmann::json)> reply);

 private:
  RangeTrees& trees_;
  AeStore& store_;
  std::size_t max_reply_bytes_;
};

struct ExchangeResult {
  std::optional<std::string> error;  // set: the exchange stopped there
  bool compared = false;             // roots were compared
  bool differed = false;             // roots differed
  std::uint64_t differing_keys = 0;  // keys found different (repaired unless error)
  std::uint64_t fetched = 0;         // records fetched from the peer
  std::uint64_t pushed = 0;          // records pushed to the peer
  std::uint64_t messages = 0;        // requests sent
  std::uint64_t bytes_sent = 0;      // request frames (length prefix included)
  std::uint64_t bytes_received = 0;  // reply frames
  std::uint64_t levels_descended = 0;
};

// Sends one request to the peer; calls back once with its reply (an "ok":
// false reply counts as an error) or a transport error.
using AeSend = std::function<void(nlohmann::json request,
                                  std::function<void(std::optional<std::string> error, nlohmann::json reply)>)>;

struct ExchangeOptions {
  std::string self;            // "from" of the requests
  std::uint64_t range = 0;
  std::size_t max_keys = 1000; // repaired keys per exchange (rate limit)
  std::size_t batch = 256;     // keys per fetch / push message
  std::size_t leaves_per_message = 512;         // leaves per peer.ae_leaves (bounds its reply)
  std::size_t max_message_bytes = 1u << 20;     // records per push stop here (at least one is sent)
  // Tombstones stamped before this (µs) are past their grace: garbage that
  // neither side copies to the other (0: none is). Without this, replicas
  // purging at different moments would hand a purged tombstone back and
  // forth, and one could overwrite a value it should have lost to.
  std::int64_t expired_before_us = 0;
};

// True if `r` is all tombstones, every one stamped before `cutoff_us`.
bool expired_tombstone(const Record& r, std::int64_t cutoff_us);

// Runs one exchange; `done` is called exactly once.
void run_exchange(RangeTrees& trees, AeStore& store, ExchangeOptions options, AeSend send,
                  std::function<void(ExchangeResult)> done);

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_AE_EXCHANGE_H_
