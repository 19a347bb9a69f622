#include "anti_entropy/ae_exchange.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>

#include "faultline/node/protocol.h"

namespace faultline::node {

using Json = nlohmann::json;

bool expired_tombstone(const Record& r, std::int64_t cutoff_us) {
  if (cutoff_us == 0 || r.empty()) return false;
  for (const auto& s : r.siblings)
    if (!s.tombstone() || s.stamp.wall >= cutoff_us) return false;
  return true;
}

// ---- RangeTrees ----------------------------------------------------------

void RangeTrees::add_range(std::uint64_t range) {
  std::lock_guard lock(mu_);
  trees_.try_emplace(range, depth_);
}

bool RangeTrees::has(std::uint64_t range) const {
  std::lock_guard lock(mu_);
  return trees_.count(range) != 0;
}

std::vector<std::uint64_t> RangeTrees::ranges() const {
  std::lock_guard lock(mu_);
  std::vector<std::uint64_t> out;
  for (const auto& [r, t] : trees_) out.push_back(r);
  return out;
}

void RangeTrees::update(std::uint64_t range, const std::string& key, const Record& stored) {
  // Digest outside the lock: it serialises the record.
  std::optional<std::uint64_t> digest;
  if (!stored.empty()) digest = version_digest(stored);
  std::lock_guard lock(mu_);
  auto it = trees_.find(range);
  if (it != trees_.end()) it->second.set(key, digest);
}

std::size_t RangeTrees::keys() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [r, t] : trees_) n += t.size();
  return n;
}

// ---- Responder -----------------------------------------------------------

namespace {

std::string children_hex(const std::array<std::uint64_t, MerkleTree::kFanout>& c) {
  std::string s;
  s.reserve(16 * MerkleTree::kFanout);
  for (auto h : c) s += hash_hex(h);
  return s;
}

}  // namespace

void AeResponder::handle(const AeRequest& req, std::function<void(Json)> reply) {
  const std::string op(to_string(req.op));
  if (!trees_.has(req.range)) {
    reply(error_reply(req.id, errc::kBadRequest,
                      op + ": this node does not replicate range " + std::to_string(req.range)));
    return;
  }
  if (req.depth != trees_.depth()) {
    reply(error_reply(req.id, errc::kBadRequest,
                      op + ": tree depth " + std::to_string(req.depth) + " differs from this node's " +
                          std::to_string(trees_.depth()) + " (anti_entropy_depth must match on every node)"));
    return;
  }
  try {
    switch (req.op) {
      case AeOp::kRoot: {
        auto [root, keys] = trees_.with(req.range, [](MerkleTree& t) { return std::make_pair(t.root(), t.size()); });
        reply(Json{{"id", req.id}, {"ok", true}, {"root", hash_hex(root)}, {"keys", keys}});
        return;
      }
      case AeOp::kTree: {
        Json hashes = Json::array();
        trees_.with(req.range, [&](MerkleTree& t) {
          for (auto n : req.nodes) hashes.push_back(children_hex(t.children(req.level, n)));
          return 0;
        });
        reply(Json{{"id", req.id}, {"ok", true}, {"hashes", std::move(hashes)}});
        return;
      }
      case AeOp::kLeaves: {
        Json entries = Json::array();
        trees_.with(req.range, [&](MerkleTree& t) {
          for (auto leaf : req.nodes)
            for (auto& [key, digest] : t.leaf_entries(leaf)) entries.push_back(Json::array({key, hash_hex(digest)}));
          return 0;
        });
        reply(Json{{"id", req.id}, {"ok", true}, {"entries", std::move(entries)}});
        return;
      }
      case AeOp::kFetch: {
        Json records = Json::array();
        std::size_t bytes = 0;
        bool more = false;
        for (const auto& key : req.keys) {
          if (bytes > max_reply_bytes_ / 2) {
            more = true;  // the initiator repairs the rest next time
            break;
          }
          Json item = Json::array({key, to_json(store_.get(key))});
          bytes += item.dump().size();
          records.push_back(std::move(item));
        }
        reply(Json{{"id", req.id}, {"ok", true}, {"records", std::move(records)}, {"more", more}});
        return;
      }
      case AeOp::kPush: {
        struct State {
          std::atomic<std::size_t> left;
          std::mutex mu;
          std::optional<std::string> error;
        };
        if (req.items.empty()) {
          reply(Json{{"id", req.id}, {"ok", true}, {"applied", 0}});
          return;
        }
        auto st = std::make_shared<State>();
        st->left = req.items.size();
        const std::size_t n = req.items.size();
        for (const auto& [key, rec] : req.items)
          store_.apply(key, rec, [st, reply, id = req.id, n](std::optional<std::string> err) {
            if (err) {
              std::lock_guard lock(st->mu);
              if (!st->error) st->error = *err;
            }
            if (--st->left != 0) return;
            std::optional<std::string> e;
            {
              std::lock_guard lock(st->mu);
              e = st->error;
            }
            reply(e ? error_reply(id, errc::kStorage, *e) : Json{{"id", id}, {"ok", true}, {"applied", n}});
          });
        return;
      }
    }
  } catch (const std::exception& e) {
    reply(error_reply(req.id, errc::kStorage, op + ": " + e.what()));
  }
}

// ---- Initiator -----------------------------------------------------------

namespace {

std::uint64_t frame_bytes(const Json& j) { return kFrameHeaderBytes + j.dump().size(); }

// One exchange's state; each step sends one message and continues in its
// reply's callback (so the same code runs over sockets or in process).
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(RangeTrees& trees, AeStore& store, ExchangeOptions o, AeSend send, std::function<void(ExchangeResult)> done)
      : trees_(trees), store_(store), o_(std::move(o)), send_(std::move(send)), done_(std::move(done)) {}

  void start() {
    AeRequest r = base(AeOp::kRoot);
    try {
      r.root = trees_.with(o_.range, [](MerkleTree& t) { return t.root(); });
    } catch (const std::exception& e) {
      return finish(std::string("no local tree for range ") + std::to_string(o_.range));
    }
    call(r, [self = shared_from_this(), local = r.root](const Json& reply) {
      auto it = reply.find("root");
      std::optional<std::uint64_t> remote;
      if (it != reply.end() && it->is_string()) remote = parse_hash64(it->get<std::string>());
      if (!remote) return self->finish("peer.ae_root reply: 'root' is not 16 hex digits");
      self->result_.compared = true;
      if (*remote == local) return self->finish();
      self->result_.differed = true;
      self->descend(0, {0});
    });
  }

 private:
  AeRequest base(AeOp op) const {
    AeRequest r;
    r.op = op;
    r.from = o_.self;
    r.range = o_.range;
    r.depth = trees_.depth();
    return r;
  }

  void call(const AeRequest& r, std::function<void(const Json&)> next) {
    Json msg = make_ae_request(r);
    result_.messages += 1;
    result_.bytes_sent += frame_bytes(msg) + 8;  // + the "id" the transport adds
    send_(std::move(msg), [self = shared_from_this(), next = std::move(next),
                           op = std::string(to_string(r.op))](std::optional<std::string> err, Json reply) {
      if (err) return self->finish(op + ": " + *err);
      self->result_.bytes_received += frame_bytes(reply);
      if (!reply.value("ok", false))
        return self->finish(op + ": peer refused: " + reply.value("error", std::string("?")) + ": " +
                            reply.value("message", std::string()));
      try {
        next(reply);
      } catch (const std::exception& e) {
        self->finish(op + " reply: " + e.what());
      }
    });
  }

  // `nodes` differ at `level`; find which of their children differ.
  void descend(int level, std::vector<std::uint64_t> nodes) {
    const int depth = trees_.depth();
    if (level == depth) return compare_leaves(std::move(nodes));
    result_.levels_descended += 1;
    AeRequest r = base(AeOp::kTree);
    r.level = level;
    r.nodes = std::move(nodes);
    call(r, [self = shared_from_this(), level, nodes = r.nodes](const Json& reply) {
      const Json& hashes = reply.at("hashes");
      if (!hashes.is_array() || hashes.size() != nodes.size())
        return self->finish("peer.ae_tree reply: expected " + std::to_string(nodes.size()) + " hash strings");
      std::vector<std::uint64_t> next;
      self->trees_.with(self->o_.range, [&](MerkleTree& t) {
        for (std::size_t i = 0; i < nodes.size(); ++i) {
          const auto local = t.children(level, nodes[i]);
          const std::string& hex = hashes[i].get_ref<const std::string&>();
          if (hex.size() != 16 * MerkleTree::kFanout) throw std::invalid_argument("a hash string is not 256 hex digits");
          for (unsigned c = 0; c < MerkleTree::kFanout; ++c) {
            auto remote = parse_hash64(std::string_view(hex).substr(16 * c, 16));
            if (!remote) throw std::invalid_argument("bad hex digest");
            if (*remote != local[c] && next.size() < kAeMaxNodes) next.push_back(nodes[i] * MerkleTree::kFanout + c);
          }
        }
        return 0;
      });
      self->descend(level + 1, std::move(next));
    });
  }

  // Asks for the differing leaves' entries, leaves_per_message at a time
  // (a reply stays far below the frame limit even with long keys), then
  // compares them all.
  void compare_leaves(std::vector<std::uint64_t> leaves) {
    if (leaves.empty()) return finish();  // roots differed only transiently (a write landed meanwhile)
    leaves_ = std::move(leaves);
    next_leaves(0);
  }

  void next_leaves(std::size_t from) {
    if (from >= leaves_.size()) return diff_leaves();
    AeRequest r = base(AeOp::kLeaves);
    const std::size_t end = std::min(leaves_.size(), from + std::max<std::size_t>(1, o_.leaves_per_message));
    r.nodes.assign(leaves_.begin() + static_cast<std::ptrdiff_t>(from), leaves_.begin() + static_cast<std::ptrdiff_t>(end));
    call(r, [self = shared_from_this(), end](const Json& reply) {
      const Json& entries = reply.at("entries");
      if (!entries.is_array()) throw std::invalid_argument("'entries' is not an array");
      for (const auto& e : entries) {
        if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_string())
          throw std::invalid_argument("an entry is not [key, digest]");
        auto d = parse_hash64(e[1].get<std::string>());
        if (!d) throw std::invalid_argument("an entry's digest is not 16 hex digits");
        self->remote_entries_[e[0].get<std::string>()] = *d;
      }
      self->next_leaves(end);
    });
  }

  void diff_leaves() {
    const auto& remote = remote_entries_;
    std::map<std::string, std::uint64_t> local;
    trees_.with(o_.range, [&](MerkleTree& t) {
      for (auto leaf : leaves_)
        for (auto& [k, d] : t.leaf_entries(leaf)) local[k] = d;
      return 0;
    });
    // Keys that differ, in key order, up to the budget.
    std::set<std::string> keys;
    for (const auto& [k, d] : remote) {
      auto it = local.find(k);
      if (it == local.end() || it->second != d) keys.insert(k);
    }
    for (const auto& [k, d] : local)
      if (!remote.count(k)) keys.insert(k);
    for (const auto& k : keys) {
      if (repair_.size() >= o_.max_keys) break;
      auto it = remote.find(k);
      repair_.push_back(k);
      if (it != remote.end()) remote_digest_[k] = it->second;
    }
    result_.differing_keys = repair_.size();
    for (const auto& k : repair_)
      if (remote_digest_.count(k)) to_fetch_.push_back(k);
    fetch_next(0);
  }

  void fetch_next(std::size_t from) {
    if (from >= to_fetch_.size()) return push_next(0);
    AeRequest r = base(AeOp::kFetch);
    const std::size_t end = std::min(to_fetch_.size(), from + o_.batch);
    r.keys.assign(to_fetch_.begin() + static_cast<std::ptrdiff_t>(from), to_fetch_.begin() + static_cast<std::ptrdiff_t>(end));
    call(r, [self = shared_from_this(), end](const Json& reply) {
      const Json& records = reply.at("records");
      if (!records.is_array()) throw std::invalid_argument("'records' is not an array");
      std::vector<std::pair<std::string, Record>> got;
      for (const auto& item : records) {
        if (!item.is_array() || item.size() != 2 || !item[0].is_string())
          throw std::invalid_argument("a record is not [key, record]");
        Record rec = record_from_json(item[1]);
        if (expired_tombstone(rec, self->o_.expired_before_us)) continue;  // garbage: not copied
        got.emplace_back(item[0].get<std::string>(), std::move(rec));
      }
      if (got.empty()) return self->fetch_next(end);
      struct Left {
        std::atomic<std::size_t> n;
        std::mutex mu;
        std::optional<std::string> error;
      };
      auto left = std::make_shared<Left>();
      left->n = got.size();
      self->result_.fetched += got.size();
      for (auto& [key, rec] : got)
        self->store_.apply(key, std::move(rec), [self, left, end](std::optional<std::string> err) {
          if (err) {
            std::lock_guard lock(left->mu);
            left->error = err;
          }
          if (--left->n != 0) return;
          if (left->error) return self->finish("local merge failed: " + *left->error);
          self->fetch_next(end);
        });
    });
  }

  // Pushes the merged local record of every key whose digest now differs
  // from what the peer reported (or that the peer lacks).
  void push_next(std::size_t from) {
    AeRequest r = base(AeOp::kPush);
    std::size_t i = from;
    std::size_t bytes = 0;
    try {
      for (; i < repair_.size() && r.items.size() < o_.batch && (r.items.empty() || bytes < o_.max_message_bytes); ++i) {
        Record rec = store_.get(repair_[i]);
        if (rec.empty() || expired_tombstone(rec, o_.expired_before_us)) continue;
        auto it = remote_digest_.find(repair_[i]);
        if (it != remote_digest_.end() && it->second == version_digest(rec)) continue;  // the peer has it already
        bytes += repair_[i].size() + to_json(rec).dump().size();
        r.items.emplace_back(repair_[i], std::move(rec));
      }
    } catch (const std::exception& e) {
      return finish(std::string("local read failed: ") + e.what());
    }
    if (r.items.empty()) {
      if (i >= repair_.size()) return finish();
      return push_next(i);
    }
    result_.pushed += r.items.size();
    call(r, [self = shared_from_this(), i](const Json&) {
      if (i >= self->repair_.size()) return self->finish();
      self->push_next(i);
    });
  }

  void finish(std::optional<std::string> error = std::nullopt) {
    if (finished_) return;
    finished_ = true;
    result_.error = std::move(error);
    auto done = std::move(done_);
    done(result_);
  }

  RangeTrees& trees_;
  AeStore& store_;
  ExchangeOptions o_;
  AeSend send_;
  std::function<void(ExchangeResult)> done_;
  ExchangeResult result_;
  bool finished_ = false;
  std::vector<std::uint64_t> leaves_;             // differing leaves
  std::map<std::string, std::uint64_t> remote_entries_;  // the peer's entries of those leaves
  std::vector<std::string> repair_;               // keys to bring together, in key order
  std::map<std::string, std::uint64_t> remote_digest_;  // the peer's digest of those it has
  std::vector<std::string> to_fetch_;
};

}  // namespace

void run_exchange(RangeTrees& trees, AeStore& store, ExchangeOptions options, AeSend send,
                  std::function<void(ExchangeResult)> done) {
  std::make_shared<Exchange>(trees, store, std::move(options), std::move(send), std::move(done))->start();
}

}  // namespace faultline::node
