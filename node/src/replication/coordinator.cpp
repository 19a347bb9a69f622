#include "replication/coordinator.h"

#include <algorithm>
#include <limits>
#include <mutex>
#include <set>

#include <boost/asio/steady_timer.hpp>

namespace faultline::node {

namespace asio = boost::asio;
using Json = nlohmann::json;
using std::chrono::milliseconds;

// State of one client write. Calls finish on many threads; `mu` guards all.
// Deadline timers are never cancelled (cancelling from another thread would
// race the timer); a late expiry finds `answered` set and does nothing.
struct Coordinator::WriteOp {
  std::mutex mu;
  Json id;
  std::string key;
  Record record;  // immutable once phase 2 starts
  int w = 1;
  std::vector<std::string> fallbacks;
  std::set<std::string> used_fallbacks;  // each fallback takes one hint per write
  int outstanding = 0;  // calls (or hint attempts) not yet finished
  int acks = 0;         // acks counting toward W
  int owner_acks = 0;
  int hint_acks = 0;
  bool maybe = false;   // some replica or fallback may hold the write
  bool sending = false; // phase 2 began: from here on, a timeout means "info"
  bool answered = false;
  Respond respond;
  std::shared_ptr<asio::steady_timer> deadline;
};

struct Coordinator::ReadGather {
  std::mutex mu;
  std::string key;
  std::size_t need = 1;
  std::size_t outstanding = 0;  // targets not yet answered, asked or not
  std::vector<std::string> unasked;  // targets held back, next one last
  bool hedged = false;
  Responses responses;
  bool quorum_fired = false;
  bool all_fired = false;
  std::function<void(bool, Responses)> on_quorum;
  std::function<void(Responses)> on_all;
  std::shared_ptr<asio::steady_timer> deadline;
};

namespace {

// Fires a gather's callbacks as they become due; unlocks before calling out.
void evaluate(const std::shared_ptr<Coordinator::ReadGather>& g, std::unique_lock<std::mutex>& lock, bool expired);

}  // namespace

void Coordinator::handle(const ClientRequest& req, Respond respond) {
  d_.counters.client_requests.fetch_add(1, std::memory_order_relaxed);
  Respond counted = [this, respond = std::move(respond), key = req.key](Json reply) {
    if (reply.value("ok", false)) {
      d_.counters.client_ok.fetch_add(1, std::memory_order_relaxed);
    } else {
      const bool info = reply.value("outcome", "") == "info";
      (info ? d_.counters.client_info : d_.counters.client_fail).fetch_add(1, std::memory_order_relaxed);
      if (d_.log.enabled(EventLog::Level::kDebug))
        d_.log.debug("client_error", {{"key", key}, {"error", reply.value("error", "")},
                                      {"outcome", info ? "info" : "fail"}, {"message", reply.value("message", "")}});
    }
    respond(std::move(reply));
  };
  if (req.op == ClientOp::kGet)
    get(req, std::move(counted));
  else
    write(req, std::move(counted));
}

int Coordinator::level(const Json& requested, int fallback) const {
  if (requested.is_null()) return fallback;
  auto v = resolve_consistency(requested, d_.config.n);
  return v && *v <= d_.config.n ? *v : -1;
}

void Coordinator::call_replica(const std::string& node, PeerOp op, const std::string& key, const Record* record,
                               const std::string& owner, std::function<void(PeerResult)> cb) {
  auto to_result = [](Json reply) {
    PeerResult r;
    if (reply.value("ok", false)) {
      r.reply = std::move(reply);
    } else {
      r.error = reply.value("error", std::string("error"));
      r.maybe_delivered = false;  // Replica's invariant: not ok means not stored
    }
    return r;
  };
  if (node == d_.config.node_id) {
    PeerRequest req;
    req.op = op;
    req.from = node;
    req.key = key;
    req.owner = owner;
    if (record) req.record = *record;
    d_.replica.handle(req, [cb = std::move(cb), to_result](Json reply) { cb(to_result(std::move(reply))); });
    return;
  }
  d_.peers.call(node, make_peer_request(op, d_.config.node_id, key, record, owner),
                milliseconds(d_.config.peer_timeout_ms),
                [this, node, cb = std::move(cb), to_result](PeerResult r) {
                  if (r.error) {
                    d_.membership.report_failure(node);
                    cb(std::move(r));
                    return;
                  }
                  d_.membership.report_success(node);  // it answered, even if with an error
                  cb(to_result(std::move(r.reply)));
                });
}

std::vector<std::string> Coordinator::read_targets(const std::string& key) const {
  const auto pref = d_.ring.preference_list(key);
  std::vector<std::string> out;
  const std::size_t n = static_cast<std::size_t>(d_.config.n);
  if (!d_.config.sloppy_quorum) {
    for (std::size_t i = 0; i < pref.size() && i < n; ++i)
      if (d_.membership.usable(pref[i])) out.push_back(pref[i]);
  } else {
    for (const auto& m : pref)
      if (out.size() < n && d_.membership.usable(m)) out.push_back(m);
  }
  return out;
}

Record Coordinator::merged(const Responses& responses) const {
  Record m;
  for (const auto& [node, rec] : responses) m = merge(m, rec, d_.config.versioning);
  return m;
}

Json Coordinator::read_reply(const Json& id, const Record& r) const {
  auto values = live_values(r);
  Json reply = {{"id", id}, {"ok", true}, {"found", !values.empty()}, {"values", values}};
  reply["value"] = values.size() == 1 ? Json(values[0]) : Json();
  if (d_.config.versioning == Versioning::kVv) reply["context"] = to_json(causal_context(r));
  if (auto s = max_stamp(r)) reply["stamp"] = {s->wall, s->logical, s->node};
  return reply;
}

// Asks `need` targets (this node first: its answer costs no message) and
// holds the others back; each failed answer asks the next held-back target,
// and if the quorum has not formed by the hedge delay every remaining target
// is asked. Asking all N up front doubled (QUORUM) or tripled (ONE) the
// messages of a read, and answers beyond the first `need` were ignored anyway.
// on_all (async read repair) wants every replica's answer: all asked at once.
void Coordinator::gather_reads(const std::string& key, const std::vector<std::string>& targets, std::size_t need,
                               std::function<void(bool, Responses)> on_quorum, std::function<void(Responses)> on_all) {
  auto g = std::make_shared<ReadGather>();
  g->key = key;
  g->need = need;
  g->outstanding = targets.size();
  g->on_quorum = std::move(on_quorum);
  g->on_all = std::move(on_all);
  std::vector<std::string> ask;
  for (const auto& t : targets)
    if (t == d_.config.node_id) ask.push_back(t);
  for (const auto& t : targets)
    if (t != d_.config.node_id) (ask.size() < need || g->on_all ? ask : g->unasked).push_back(t);
  std::reverse(g->unasked.begin(), g->unasked.end());
  const milliseconds timeout(d_.config.request_timeout_ms);
  const milliseconds hedge(std::max(1, d_.config.peer_timeout_ms / 10));
  g->deadline = std::make_shared<asio::steady_timer>(d_.io, g->unasked.empty() ? timeout : hedge);
  g->deadline->async_wait([this, g, timeout, hedge](boost::system::error_code ec) {
    if (ec) return;
    std::unique_lock lock(g->mu);
    if (!g->unasked.empty() && !g->hedged) {
      // Hedge: a held-back replica is asked now rather than after a peer
      // timeout of a slow or partitioned one. The timer then waits out the
      // rest of the deadline (re-armed from its own handler: nothing else
      // touches it).
      g->hedged = true;
      if (g->quorum_fired && !g->on_all) return;
      std::vector<std::string> rest(g->unasked.rbegin(), g->unasked.rend());
      g->unasked.clear();
      g->deadline->expires_after(timeout - hedge);
      g->deadline->async_wait([g](boost::system::error_code e) {
        if (e) return;
        std::unique_lock l(g->mu);
        evaluate(g, l, true);
      });
      lock.unlock();
      for (const auto& node : rest) ask_replica(g, node);
      return;
    }
    evaluate(g, lock, true);
  });
  for (const auto& node : ask) ask_replica(g, node);
}

void Coordinator::ask_replica(const std::shared_ptr<ReadGather>& g, const std::string& node) {
  call_replica(node, PeerOp::kRead, g->key, nullptr, "", [this, g, node](PeerResult r) {
    std::unique_lock lock(g->mu);
    --g->outstanding;
    bool answered = false;
    if (!r.error) {
      try {
        g->responses.emplace_back(node, record_from_json(r.reply.at("record")));
        answered = true;
      } catch (const std::exception&) {
        // A replica answering garbage counts as not answering.
      }
    }
    if (!answered && !g->unasked.empty() && !g->quorum_fired) {
      std::string next = std::move(g->unasked.back());
      g->unasked.pop_back();
      lock.unlock();
      ask_replica(g, next);
      lock.lock();
    }
    evaluate(g, lock, false);
  });
}

namespace {

void evaluate(const std::shared_ptr<Coordinator::ReadGather>& g, std::unique_lock<std::mutex>& lock, bool expired) {
  std::function<void()> quorum, all;
  if (!g->quorum_fired && (g->responses.size() >= g->need || g->outstanding == 0 || expired)) {
    g->quorum_fired = true;
    const bool reached = g->responses.size() >= g->need;
    quorum = [g, reached, rs = g->responses] { g->on_quorum(reached, rs); };
  }
  if (!g->all_fired && (g->outstanding == 0 || expired)) {
    g->all_fired = true;
    if (g->on_all) all = [g, rs = g->responses] { g->on_all(rs); };
  }
  lock.unlock();
  if (quorum) quorum();
  if (all) all();
}

}  // namespace

void Coordinator::get(const ClientRequest& req, Respond respond) {
  if (req.local) {
    // A diagnostic read of this node's own storage, bypassing the ring: how
    // tests (and operators) see what one replica really holds.
    try {
      Json reply = read_reply(req.id, d_.storage.get(req.key));
      reply["local"] = true;
      respond(std::move(reply));
    } catch (const std::exception& e) {
      respond(error_reply(req.id, errc::kStorage, e.what(), Outcome::kFail));
    }
    return;
  }
  const int r = level(req.level, d_.config.r);
  if (r < 1) {
    respond(error_reply(req.id, errc::kBadRequest, "read level must be ONE, QUORUM, ALL or 1..n", Outcome::kFail));
    return;
  }
  const auto targets = read_targets(req.key);
  if (targets.size() < static_cast<std::size_t>(r)) {
    respond(error_reply(req.id, errc::kUnavailable,
                        "only " + std::to_string(targets.size()) + " usable replicas for R=" + std::to_string(r),
                        Outcome::kFail));
    return;
  }
  const Json id = req.id;
  const std::string key = req.key;
  const ReadRepair mode = d_.config.read_repair;
  auto on_quorum = [this, id, key, r, mode, respond](bool reached, Responses rs) {
    if (!reached) {
      respond(error_reply(id, errc::kTimeout,
                          "read got " + std::to_string(rs.size()) + " of R=" + std::to_string(r) + " answers",
                          Outcome::kFail));
      return;
    }
    Record m = merged(rs);
    // Lamport: a context the client gets from this read may name a counter
    // of ours; our next dot must be above it, or that context would make
    // the client's next write through us obsolete (or be refused).
    if (d_.config.versioning == Versioning::kVv) d_.dots.observe(max_own_counter(m, d_.config.node_id));
    std::vector<std::string> stale;
    if (mode == ReadRepair::kBlocking)
      for (const auto& [node, rec] : rs)
        if (is_stale(rec, m, d_.config.versioning)) stale.push_back(node);
    if (stale.empty()) {
      respond(read_reply(id, m));
      return;
    }
    // ABD write-back: the value returned must be on R replicas before the
    // client sees it, or a later read could miss it (reads going backwards).
    struct Repair {
      std::mutex mu;
      std::size_t left;
      std::size_t ok = 0;
    };
    auto state = std::make_shared<Repair>();
    state->left = stale.size();
    const std::size_t current = rs.size() - stale.size();
    auto rec = std::make_shared<Record>(m);
    for (const auto& node : stale) {
      d_.counters.read_repairs.fetch_add(1, std::memory_order_relaxed);
      call_replica(node, PeerOp::kWrite, key, rec.get(), "",
                   [this, state, current, r, id, rec, respond](PeerResult pr) {
                     std::unique_lock lock(state->mu);
                     if (!pr.error) ++state->ok;
                     if (--state->left != 0) return;
                     const bool enough = current + state->ok >= static_cast<std::size_t>(r);
                     lock.unlock();
                     if (enough)
                       respond(read_reply(id, *rec));
                     else
                       respond(error_reply(id, errc::kTimeout, "read repair could not bring R replicas up to date",
                                           Outcome::kFail));
                   });
    }
  };
  std::function<void(Responses)> on_all;
  if (mode == ReadRepair::kAsync)
    on_all = [this, key](Responses rs) {
      Record m = merged(rs);
      auto rec = std::make_shared<Record>(m);
      for (const auto& [node, stored] : rs)
        if (is_stale(stored, m, d_.config.versioning)) {
          d_.counters.read_repairs.fetch_add(1, std::memory_order_relaxed);
          call_replica(node, PeerOp::kWrite, key, rec.get(), "", [rec](PeerResult) {});
        }
    };
  gather_reads(key, targets, static_cast<std::size_t>(r), std::move(on_quorum), std::move(on_all));
}

Sibling Coordinator::stamp_new(const ClientRequest& req, const std::optional<Stamp>& after) {
  Sibling s;
  if (req.op == ClientOp::kPut) s.value = req.value;  // delete: tombstone
  const std::string& self = d_.config.node_id;
  switch (d_.config.versioning) {
    case Versioning::kLwwWall:
      s.stamp = {wall_clock_us(), 0, self};
      break;
    case Versioning::kLwwHlc: {
      if (after) d_.clock.update({after->wall, after->logical});
      const HlcTime t = d_.clock.now();
      s.stamp = {t.l, t.c, self};
      break;
    }
    case Versioning::kVv: {
      const HlcTime t = d_.clock.now();
      s.stamp = {t.l, t.c, self};
      s.dot = {self, d_.dots.next()};
      s.context = req.context.value_or(VersionVector{});
      break;
    }
  }
  // ABD's "max + 1": above everything phase 1 saw, whatever our clock says.
  // A logical of 2^32 - 1 (a peer's stamp) carries into wall rather than
  // wrapping below `after`; at kMaxStampWall it saturates (see hlc.cpp).
  if (after && !(*after < s.stamp)) {
    if (after->logical < std::numeric_limits<std::uint32_t>::max())
      s.stamp = {after->wall, after->logical + 1, self};
    else if (after->wall < kMaxStampWall)
      s.stamp = {after->wall + 1, 0, self};
    else
      s.stamp = {after->wall, after->logical, self};
  }
  return s;
}

void Coordinator::write(const ClientRequest& req, Respond respond) {
  const int w = level(req.level, d_.config.w);
  if (w < 1) {
    respond(error_reply(req.id, errc::kBadRequest, "write level must be ONE, QUORUM, ALL or 1..n", Outcome::kFail));
    return;
  }
  // vv: a context naming a dot of ours we never issued would cover our later
  // writes (they would be obsolete on merge, silently lost): refuse it. The
  // new dot is issued after this check, so the context cannot cover it either.
  // Another node's counters are its wall clock in us (or what it observed,
  // itself bounded so): an entry beyond our clock plus the skew allowance
  // cannot be real, and would cover that node's writes until its clock got
  // there. Entries within it are disarmed by the Lamport rule (replica.h).
  if (d_.config.versioning == Versioning::kVv && req.context) {
    const std::string& self = d_.config.node_id;
    const auto others_bound = static_cast<std::uint64_t>(std::max<std::int64_t>(0, wall_clock_us())) +
                              static_cast<std::uint64_t>(d_.config.max_clock_skew_ms) * 1000;
    if (auto err = context_error(*req.context, {{self, d_.dots.issued_bound()}}, others_bound)) {
      d_.counters.bad_contexts.fetch_add(1, std::memory_order_relaxed);
      respond(error_reply(req.id, errc::kBadContext, *err, Outcome::kFail));
      return;
    }
  }
  const auto pref = d_.ring.preference_list(req.key);
  const std::size_t n = static_cast<std::size_t>(d_.config.n);
  std::vector<std::string> owners(pref.begin(), pref.begin() + static_cast<std::ptrdiff_t>(std::min(n, pref.size())));
  auto op = std::make_shared<WriteOp>();
  op->id = req.id;
  op->key = req.key;
  op->w = w;
  op->respond = std::move(respond);
  op->fallbacks.assign(pref.begin() + static_cast<std::ptrdiff_t>(owners.size()), pref.end());

  // Refuse up front (a definite "fail") when W cannot be reached even if
  // every usable node answers: like Cassandra's UnavailableException.
  std::vector<std::string> live_owners;
  for (const auto& o : owners)
    if (d_.membership.usable(o)) live_owners.push_back(o);
  std::size_t reachable = live_owners.size();
  if (d_.config.sloppy_quorum) {
    reachable = 0;
    for (const auto& m : pref)
      if (d_.membership.usable(m)) ++reachable;
  }
  if (reachable < static_cast<std::size_t>(w)) {
    op->respond(error_reply(req.id, errc::kUnavailable,
                            "only " + std::to_string(reachable) + " usable replicas for W=" + std::to_string(w),
                            Outcome::kFail));
    return;
  }

  op->deadline = std::make_shared<asio::steady_timer>(d_.io, milliseconds(d_.config.request_timeout_ms));
  op->deadline->async_wait([op](boost::system::error_code ec) {
    if (ec) return;
    std::unique_lock lock(op->mu);
    if (op->answered) return;
    op->answered = true;
    const bool maybe = op->maybe || op->sending;
    Json reply = error_reply(op->id, errc::kTimeout,
                             "W=" + std::to_string(op->w) + " not reached in time (" + std::to_string(op->acks) +
                                 " acks)",
                             maybe ? Outcome::kInfo : Outcome::kFail);
    lock.unlock();
    op->respond(std::move(reply));
  });

  const bool two_phase = d_.config.write_mode == WriteMode::kTwoPhase && d_.config.versioning != Versioning::kVv;
  if (!two_phase) {
    op->record.siblings.push_back(stamp_new(req, std::nullopt));
    // vv: the write's state is its sibling plus C = its context and its dot.
    op->record = normalise(op->record, d_.config.versioning);
    write_phase2(op, owners);
    return;
  }
  // Phase 1 must meet every write quorum: n - w + 1 answers.
  const std::size_t need = n - static_cast<std::size_t>(w) + 1;
  if (live_owners.size() < need) {
    std::unique_lock lock(op->mu);
    op->answered = true;
    lock.unlock();
    op->respond(error_reply(req.id, errc::kUnavailable,
                            "two-phase write needs " + std::to_string(need) + " usable replicas, have " +
                                std::to_string(live_owners.size()),
                            Outcome::kFail));
    return;
  }
  gather_reads(req.key, live_owners, need, [this, op, owners, req](bool reached, Responses rs) {
    std::unique_lock lock(op->mu);
    if (op->answered) return;  // the deadline already answered "fail"
    if (!reached) {
      op->answered = true;
      lock.unlock();
      op->respond(error_reply(op->id, errc::kTimeout, "two-phase write could not read a quorum's versions",
                              Outcome::kFail));
      return;
    }
    op->record.siblings.push_back(stamp_new(req, max_stamp(merged(rs))));
    lock.unlock();
    write_phase2(op, owners);
  }, {});
}

void Coordinator::write_phase2(std::shared_ptr<WriteOp> op, const std::vector<std::string>& owners) {
  std::vector<std::string> direct, hinted;
  for (const auto& o : owners) {
    if (d_.membership.usable(o))
      direct.push_back(o);
    else if (d_.config.hinted_handoff)
      hinted.push_back(o);
  }
  {
    std::unique_lock lock(op->mu);
    if (op->answered) return;  // deadline passed during phase 1; nothing sent
    op->sending = true;
    op->outstanding += static_cast<int>(direct.size() + hinted.size());
  }
  for (const auto& o : direct) send_owner_write(op, o);
  for (const auto& o : hinted) send_hint(op, o);
}

void Coordinator::send_owner_write(std::shared_ptr<WriteOp> op, const std::string& owner) {
  call_replica(owner, PeerOp::kWrite, op->key, &op->record, "", [this, op, owner](PeerResult r) {
    std::unique_lock lock(op->mu);
    --op->outstanding;
    bool hint = false;
    if (!r.error) {
      ++op->acks;
      ++op->owner_acks;
      op->maybe = true;
    } else {
      if (r.maybe_delivered) op->maybe = true;
      if (d_.config.hinted_handoff) {
        ++op->outstanding;  // the hint attempt
        hint = true;
      }
    }
    finish_write(op, lock);
    if (hint) send_hint(op, owner);
  });
}

void Coordinator::send_hint(std::shared_ptr<WriteOp> op, const std::string& owner) {
  std::string fallback;
  // Cassandra's max_hint_window: an owner down longer than the window gets
  // no new hints (they would pile up for a node that may never return, and
  // it needs repair anyway); the write counts only its other replicas.
  if (auto down = d_.membership.down_for(owner); down && *down > milliseconds(d_.config.hint_window_ms)) {
    d_.counters.hints_skipped_window.fetch_add(1, std::memory_order_relaxed);
    if (d_.log.enabled(EventLog::Level::kDebug))
      d_.log.debug("hint_skipped_window", {{"owner", owner}, {"key", op->key}, {"down_ms", down->count()}});
    std::unique_lock lock(op->mu);
    --op->outstanding;
    finish_write(op, lock);
    return;
  }
  {
    std::unique_lock lock(op->mu);
    for (const auto& f : op->fallbacks)
      if (!op->used_fallbacks.count(f) && d_.membership.usable(f)) {
        fallback = f;
        break;
      }
    if (fallback.empty()) {
      --op->outstanding;  // no fallback left: the owner gets it back from repair or anti-entropy
      finish_write(op, lock);
      return;
    }
    op->used_fallbacks.insert(fallback);
  }
  call_replica(fallback, PeerOp::kHint, op->key, &op->record, owner, [this, op, owner](PeerResult r) {
    std::unique_lock lock(op->mu);
    --op->outstanding;
    bool retry = false;
    if (!r.error) {
      ++op->hint_acks;
      op->maybe = true;
      d_.counters.hints_written.fetch_add(1, std::memory_order_relaxed);
      if (d_.config.sloppy_quorum) ++op->acks;
    } else {
      if (r.maybe_delivered) op->maybe = true;
      ++op->outstanding;
      retry = true;  // next fallback
    }
    finish_write(op, lock);
    if (retry) send_hint(op, owner);
  });
}

void Coordinator::finish_write(const std::shared_ptr<WriteOp>& op, std::unique_lock<std::mutex>& lock) {
  Json reply;
  if (!op->answered) {
    if (op->acks >= op->w) {
      op->answered = true;
      reply = {{"id", op->id}, {"ok", true}, {"acks", op->owner_acks}, {"hinted", op->hint_acks}};
    } else if (op->outstanding == 0) {
      op->answered = true;
      reply = error_reply(op->id, op->maybe ? errc::kQuorumFailed : errc::kUnavailable,
                          "W=" + std::to_string(op->w) + " not reached: " + std::to_string(op->owner_acks) +
                              " replica acks, " + std::to_string(op->hint_acks) + " hints",
                          op->maybe ? Outcome::kInfo : Outcome::kFail);
    }
  }
  lock.unlock();
  if (!reply.is_null()) op->respond(std::move(reply));
}

}  // namespace faultline::node
