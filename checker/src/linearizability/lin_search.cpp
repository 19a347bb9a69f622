// The search. Wing & Gong's depth-first search over "which pending call is
// linearized next", over an event list from which linearized calls are
// lifted, with Lowe's memo of configurations already explored (as
// Porcupine). On top of that, reductions that never lose a linearization:
//
//  - a read that the current state satisfies is linearized at once, with no
//    alternatives (it can always be moved first);
//  - identical info ops are linearized in invocation order (twins);
//  - a branch is dropped when the op of the first pending completion, or
//    the first pending read a little further on, needs a value that no op
//    that may still precede it can produce (Model::reachable);
//  - candidates are tried in order of completion, which finds a valid
//    history's linearization with little backtracking.
//
// Everything in the hot loop is integers: op indices, interned states,
// bitsets, and keys compared word by word.
#include "linearizability/lin_search.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <new>
#include <tuple>

#include "linearizability/lin_cache.h"
#include "linearizability/lin_event_list.h"
#include "linearizability/lin_kv_model.h"
#include "linearizability/lin_register_model.h"

namespace faultline::check::lin {
namespace {

// One configuration on the current search path.
struct Level {
  std::uint32_t state;
  std::uint32_t max_call;      // latest invocation among linearized ops
  std::uint64_t zobrist;       // hash of the decided set
  std::int32_t taken = -1;     // call entry linearized to reach the next level
  bool forced = false;         // `taken` was an observation: no alternatives here
  bool swept = false;          // candidates collected and sorted
  bool inexact = false;        // first_return is a later read that cannot be reached
  std::int32_t first_return = -1;  // first pending completion entry
  std::uint32_t cand_begin = 0;    // candidates in cand_[cand_begin, cand_end)
  std::uint32_t cand_end = 0;
  std::uint32_t cursor = 0;        // next candidate to try
  std::uint32_t dead = 0;          // windowed optional ops closed by max_call: soft_[0, dead)
};

template <class Model>
class SearchImpl final : public Search {
 public:
  SearchImpl(const std::vector<LinOp>& ops, Model& model, const Budget& budget, bool witness, Lookahead lookahead)
      : ops_(ops),
        model_(model),
        budget_(budget),
        witness_(witness),
        lookahead_(lookahead),
        fixed_(*budget.memory),
        variable_(*budget.memory) {
    const auto n = static_cast<std::uint32_t>(ops.size());
    for (const LinOp& op : ops) remaining_ += op.definite ? 1 : 0;
    if (remaining_ == 0) {
      finish(Validity::kValid, Exhausted::kNone);
      return;
    }
    words_ = (n + 63) / 64;
    dense_only_ = words_ <= kDenseOnlyWords;
    fixed_bytes_ = ops.size() * (2 * sizeof(Entry) + sizeof(Level) + 8 + 8 + 4 + 1) + words_ * 8 + 4096;
    if (!fixed_.resize(fixed_bytes_)) {
      finish(Validity::kUnknown, Exhausted::kMemory);
      return;
    }
    try {
      list_ = std::make_unique<EventList>(ops);
      zobrist_.resize(n);
      for (std::uint32_t i = 0; i < n; ++i) zobrist_[i] = mix64(0x51ed270b27c2a5b9ULL + i);
      cache_ = std::make_unique<ConfigCache>(*budget.memory, 2 * words_ + 4, budget.expected_configurations);
      path_.reserve(n + 1);
      key_.reserve(2 * words_ + 4);
      linearized_.assign(words_, 0);
      decided_.assign(words_ + 1, 0);
      for (std::uint32_t i = 0; i < n; ++i)
        if (!ops[i].definite && ops[i].ret != kNever) soft_.push_back(i);
      std::sort(soft_.begin(), soft_.end(), [&](std::uint32_t a, std::uint32_t b) { return ops[a].ret < ops[b].ret; });
      find_twins();
      observation_.resize(n);
      for (std::uint32_t i = 0; i < n; ++i) {
        const Kind k = ops[i].kind;
        observation_[i] = ops[i].definite && (k == Kind::kRead || k == Kind::kGet || k == Kind::kCasFailed);
      }
    } catch (const std::bad_alloc&) {
      finish(Validity::kUnknown, Exhausted::kMemory);
      return;
    }
    path_.push_back(Level{model.init(), 0, 0});
  }

  const SearchResult& result() const override { return result_; }

  bool run(std::uint64_t steps) override {
    if (done_) return true;
    try {
      return loop(steps);
    } catch (const std::bad_alloc&) {
      return finish(Validity::kUnknown, Exhausted::kMemory);
    }
  }

 private:
  // Up to this many 64-bit words the decided set is always keyed as a
  // bitset; above it, as the first pending completion plus the undecided
  // calls before it whenever that is shorter.
  static constexpr std::uint32_t kDenseOnlyWords = 8;
  // How far past the first pending completion to look for a read to check.
  static constexpr int kLookahead = 64;

  bool finish(Validity v, Exhausted why) {
    done_ = true;
    result_.verdict = v;
    result_.exhausted = why;
    result_.steps = steps_;
    if (cache_) {
      result_.configurations = cache_->size();
      note_peak();
    }
    cache_.reset();
    list_.reset();
    path_ = {};
    cand_ = {};
    return true;
  }

  void note_peak() {
    result_.peak_bytes =
        std::max(result_.peak_bytes, fixed_bytes_ + (cache_ ? cache_->memory_bytes() : 0) + model_.memory_bytes());
  }

  // Operations that may take effect any time after their invocation and are
  // identical (same kind, key and arguments) are interchangeable, and the
  // one invoked first can go anywhere the later one can. So they are only
  // ever linearized in invocation order: each waits for its earlier twin.
  // This loses no linearization and stops the search from trying every
  // subset of, say, twenty timed-out writes of the same value.
  void find_twins() {
    twin_.assign(ops_.size(), kNever);
    std::map<std::tuple<Kind, std::uint32_t, std::uint32_t, std::uint32_t>, std::uint32_t> latest;
    for (std::uint32_t i = 0; i < ops_.size(); ++i) {
      const LinOp& op = ops_[i];
      if (op.definite || op.ret != kNever) continue;
      auto [it, fresh] = latest.try_emplace({op.kind, op.key, op.a, op.b}, i);
      if (!fresh) {
        twin_[i] = it->second;
        it->second = i;
      }
    }
  }

  bool linearized(std::uint32_t op) const { return (linearized_[op >> 6] >> (op & 63)) & 1; }
  static void set(std::vector<std::uint64_t>& bits, std::uint32_t op) { bits[op >> 6] |= std::uint64_t{1} << (op & 63); }
  static void clear(std::vector<std::uint64_t>& bits, std::uint32_t op) { bits[op >> 6] &= ~(std::uint64_t{1} << (op & 63)); }

  // Optional ops with a window (witness shrinking makes them) die when an
  // op invoked after their window closed is linearized. Whether a dead op
  // was linearized or skipped no longer matters, so the configuration's
  // identity is the set of ops decided (linearized or dead), the latest
  // linearized call (which decides what dies next) and the state. Marks
  // soft_[from, ...) with windows closed before `max_call` as decided;
  // returns the new end and updates the Zobrist hash `z`.
  std::uint32_t kill(std::uint32_t from, std::uint32_t max_call, std::uint64_t& z) {
    std::uint32_t k = from;
    for (; k < soft_.size() && ops_[soft_[k]].ret < max_call; ++k) {
      const std::uint32_t d = soft_[k];
      if (linearized(d)) continue;
      set(decided_, d);
      z ^= zobrist_[d];
    }
    return k;
  }
  void revive(std::uint32_t from, std::uint32_t to) {
    for (std::uint32_t k = from; k < to; ++k)
      if (!linearized(soft_[k])) clear(decided_, soft_[k]);
  }

  // Points key_ptr_/key_len_ at the exact key of the current decided set
  // and latest linearized call: either the bitset, or (when shorter) the
  // first pending completion followed by the undecided calls before it;
  // every call before that completion that is not listed is decided, and
  // none after it is. The choice depends only on the set, so equal sets
  // always get equal keys.
  void make_key(std::uint32_t max_call) {
    decided_[words_] = max_call;
    if (dense_only_) {
      key_ptr_ = reinterpret_cast<const std::uint32_t*>(decided_.data());
      key_len_ = 2 * (words_ + 1);
      return;
    }
    key_.clear();
    const std::size_t limit = 2 * std::size_t{words_};
    key_.push_back(0);
    std::int32_t x = list_->first();
    EventList& list = *list_;
    for (; list[x].type != EntryType::kReturn; x = list[x].next) {
      if (list[x].type == EntryType::kCall && ops_[list[x].op].ret >= max_call) {
        key_.push_back(static_cast<std::uint32_t>(x));
        if (key_.size() > limit) break;
      }
    }
    if (key_.size() <= limit) {
      key_[0] = static_cast<std::uint32_t>(x);
      key_.push_back(max_call);
    } else {
      key_.assign(1, UINT32_MAX);  // bitset form: longer than any list form
      key_.resize(1 + 2 * (words_ + 1));
      std::memcpy(key_.data() + 1, decided_.data(), (words_ + 1) * 8);
    }
    key_ptr_ = key_.data();
    key_len_ = static_cast<std::uint32_t>(key_.size());
  }

  // May op `i` be linearized next, by the rules that do not depend on the
  // model?
  bool allowed(std::uint32_t i) const {
    const LinOp& op = ops_[i];
    // An op whose window closed before a linearized call can no longer go.
    return op.ret >= path_.back().max_call && (twin_[i] == kNever || linearized(twin_[i]));
  }

  enum class Step { kDescended, kRejected, kKnown, kValid, kNoMemory };  // kKnown: already explored

  // Tries to linearize the call at entry `e` from the top configuration.
  Step descend(std::int32_t e, bool forced) {
    EventList& list = *list_;
    const std::uint32_t i = list[e].op;
    const LinOp& op = ops_[i];
    Level& top = path_.back();
    std::uint32_t next;
    if (!model_.step(top.state, i, next)) return Step::kRejected;
    list.lift(e);
    if (op.definite && --remaining_ == 0) {
      if (witness_) {  // the linearization found, and where it leaves the model
        result_.linearization.clear();
        for (std::size_t d = 0; d + 1 < path_.size(); ++d) result_.linearization.push_back(list[path_[d].taken].op);
        result_.linearization.push_back(i);
        result_.states.assign(1, next);
      }
      return Step::kValid;
    }
    set(linearized_, i);
    set(decided_, i);
    std::uint64_t z = top.zobrist ^ zobrist_[i];
    const std::uint32_t max_call = std::max(top.max_call, op.call);
    const std::uint32_t dead = kill(top.dead, max_call, z);
    make_key(max_call);
    const auto inserted = cache_->insert(z, next, key_ptr_, key_len_);
    if (inserted == ConfigCache::Insert::kNew) {
      top.taken = e;
      top.forced = forced;
      const auto cand = static_cast<std::uint32_t>(cand_.size());
      path_.push_back(Level{next, max_call, z});
      path_.back().cand_begin = path_.back().cand_end = cand;
      path_.back().dead = dead;
      return Step::kDescended;
    }
    revive(top.dead, dead);
    clear(linearized_, i);
    clear(decided_, i);
    list.unlift(e);
    if (op.definite) ++remaining_;
    return inserted == ConfigCache::Insert::kNoMemory ? Step::kNoMemory : Step::kKnown;
  }

  // First visit of the top configuration. An observation (a read: it
  // changes no state) that the state allows is linearized at once, with no
  // alternatives tried: any linearization from here can be reordered to put
  // it first, since everything that had to precede it is already
  // linearized (its call is before the first pending completion, and no
  // optional op's window closed before it) and it changes nothing.
  // Otherwise the other pending calls become the candidates, ordered by
  // completion: an operation that completed early most likely took effect
  // early, so a valid history is usually linearized without backtracking.
  Step sweep() {
    EventList& list = *list_;
    const auto begin = static_cast<std::uint32_t>(cand_.size());
    window_.clear();
    // An optional op whose window has closed must go before every later
    // call if it goes at all, so past its completion nothing is forced.
    bool may_force = true;
    std::int32_t e = list.first();
    for (; list[e].type != EntryType::kReturn; e = list[e].next) {
      if (list[e].type == EntryType::kSoftReturn) {
        may_force = may_force && ops_[list[e].op].ret < path_.back().max_call;  // already dead: no matter
        continue;
      }
      if (list[e].type != EntryType::kCall) continue;
      const std::uint32_t i = list[e].op;
      if (ops_[i].ret < path_.back().max_call) continue;  // window closed: can never go
      window_.push_back(i);
      if (!allowed(i)) continue;
      if (observation_[i] && may_force) {
        ++steps_;
        const Step s = descend(e, true);
        if (s == Step::kDescended) {
          cand_.resize(begin);
          path_.back().cand_begin = path_.back().cand_end = begin;
        }
        if (s != Step::kRejected) return s;
      } else {
        cand_.push_back(e);
      }
    }
    Level& top = path_.back();
    top.swept = true;
    top.first_return = e;
    top.cand_begin = top.cursor = begin;
    // The op of the first pending completion can only be preceded by the
    // window's ops; if none of them can set up the state it needs, every
    // order of them is a dead end: drop them all now. Likewise for the first
    // pending read further on (it may be preceded by everything invoked
    // before it completes), looked for a bounded distance ahead.
    if (!model_.reachable(top.state, list[e].op, window_)) {
      cand_.resize(begin);
    } else {
      const std::int32_t read = unreachable_read(e);
      if (read >= 0 && (lookahead_ == Lookahead::kAlways || read <= best_)) {
        // Stuck at that read's completion, not at the first one: the
        // frontier recorded is then only an upper bound (see SearchResult).
        cand_.resize(begin);
        top.first_return = read;
        top.inexact = true;
      }
    }
    top.cand_end = static_cast<std::uint32_t>(cand_.size());
    std::sort(cand_.begin() + begin, cand_.end(), [&](std::int32_t a, std::int32_t b) { return list[a].order < list[b].order; });
    return Step::kRejected;
  }

  // The completion entry of the first pending read after entry `e` (the
  // first pending completion), if the state cannot reach what it needs with
  // the ops that may go before it; else -1.
  std::int32_t unreachable_read(std::int32_t e) {
    EventList& list = *list_;
    if (observation_[list[e].op]) return -1;  // already checked
    const std::uint32_t max_call = path_.back().max_call;
    std::int32_t x = list[e].next;
    for (int seen = 0; seen < kLookahead && list[x].type != EntryType::kSentinel; ++seen, x = list[x].next) {
      const std::uint32_t i = list[x].op;
      if (list[x].type == EntryType::kCall) {
        if (ops_[i].ret >= max_call) window_.push_back(i);
      } else if (list[x].type == EntryType::kReturn && observation_[i]) {
        return model_.reachable(path_.back().state, i, window_) ? -1 : x;
      }
    }
    return -1;
  }

  bool loop(std::uint64_t budget_steps) {
    const std::uint64_t stop = budget_steps > UINT64_MAX - steps_ ? UINT64_MAX : steps_ + budget_steps;
    std::uint64_t check_at = (steps_ | 1023) + 1;
    while (true) {
      if (steps_ >= check_at) {
        check_at = (steps_ | 1023) + 1;
        if (steps_ > budget_.max_nodes) return finish(Validity::kUnknown, Exhausted::kNodes);
        if (budget_.cancel != nullptr && budget_.cancel->load(std::memory_order_relaxed)) {
          return finish(Validity::kUnknown, Exhausted::kCancelled);
        }
        if (++checks_ % 16 == 0) {
          const auto now = Clock::now();
          if (now > budget_.deadline) return finish(Validity::kUnknown, Exhausted::kTime);
          if (budget_.stop_at != nullptr && now.time_since_epoch().count() > budget_.stop_at->load(std::memory_order_relaxed)) {
            return finish(Validity::kUnknown, Exhausted::kCancelled);
          }
        }
        if (!variable_.resize(model_.memory_bytes() + path_.capacity() * sizeof(Level) + cand_.capacity() * 4)) {
          return finish(Validity::kUnknown, Exhausted::kMemory);
        }
        note_peak();
        if (steps_ >= stop) return false;
      }
      Level& top = path_.back();
      if (!top.swept) {
        const Step s = sweep();
        if (s == Step::kValid) return finish(Validity::kValid, Exhausted::kNone);
        if (s == Step::kNoMemory) return finish(Validity::kUnknown, Exhausted::kMemory);
        if (s == Step::kKnown) {
          // The forced observation leads only to explored dead ends, so
          // this configuration is one too.
          if (!backtrack()) return finish(Validity::kInvalid, Exhausted::kNone);
        }
        continue;
      }
      if (top.cursor < top.cand_end) {
        ++steps_;
        const std::int32_t e = cand_[top.cursor++];
        if (!allowed(list_->operator[](e).op)) continue;
        const Step s = descend(e, false);
        if (s == Step::kValid) return finish(Validity::kValid, Exhausted::kNone);
        if (s == Step::kNoMemory) return finish(Validity::kUnknown, Exhausted::kMemory);
        continue;
      }
      // No candidate leads anywhere: stuck at the first pending completion.
      note_stuck(top.first_return, !top.inexact);
      if (!backtrack()) return finish(Validity::kInvalid, Exhausted::kNone);
    }
  }

  // Leaves the top configuration, which has no way forward, for the next
  // candidate of the one below; a configuration left by a forced
  // observation has no other candidates, so it is left too. False when
  // nothing is left to try.
  bool backtrack() {
    EventList& list = *list_;
    while (true) {
      if (path_.size() == 1) return false;
      cand_.resize(path_.back().cand_begin);
      const std::uint32_t dead = path_.back().dead;
      path_.pop_back();
      low_water_ = std::min(low_water_, path_.size() - 1);
      Level& top = path_.back();
      revive(top.dead, dead);
      list.unlift(top.taken);
      const std::uint32_t op = list[top.taken].op;
      clear(linearized_, op);
      clear(decided_, op);
      if (ops_[op].definite) ++remaining_;
      top.taken = -1;
      if (!top.forced) return true;
      top.forced = false;
    }
  }

  // Witness bookkeeping: the furthest completion the search got stuck at,
  // with the linearization that got there (copied incrementally: only what
  // changed on the path since the last copy).
  void note_stuck(std::int32_t e, bool exact) {
    EventList& list = *list_;
    const std::uint32_t blocked = list[e].op;
    if (e > best_) result_.frontier_exact = exact;
    if (e <= best_) {
      const std::uint32_t state = path_.back().state;
      if (witness_ && exact && result_.frontier_exact && e == best_ && result_.states.size() < 8 &&
          std::find(result_.states.begin(), result_.states.end(), state) == result_.states.end()) {
        result_.states.push_back(state);
      }
      return;
    }
    best_ = e;
    result_.blocked = blocked;
    if (!witness_) return;
    const std::size_t depth = path_.size() - 1;
    result_.linearization.resize(low_water_);
    for (std::size_t d = low_water_; d < depth; ++d) result_.linearization.push_back(list[path_[d].taken].op);
    low_water_ = depth;
    result_.states.assign(1, path_.back().state);
    result_.pending.clear();
    for (std::int32_t x = list.first(); x != e; x = list[x].next) {
      if (list[x].type == EntryType::kCall && list[x].op != blocked) result_.pending.push_back(list[x].op);
    }
  }

  const std::vector<LinOp>& ops_;
  Model& model_;
  const Budget& budget_;
  const bool witness_;
  const Lookahead lookahead_;
  SearchResult result_;
  bool done_ = false;
  Reservation fixed_;
  Reservation variable_;
  std::size_t fixed_bytes_ = 0;

  std::unique_ptr<EventList> list_;
  std::vector<std::uint64_t> zobrist_;
  std::unique_ptr<ConfigCache> cache_;
  std::vector<Level> path_;          // path_[0] is the empty linearization
  std::vector<std::int32_t> cand_;   // candidate call entries of every level, stacked
  std::vector<std::uint32_t> window_;  // scratch: the ops that may go before the first pending completion
  std::vector<std::uint32_t> key_;
  const std::uint32_t* key_ptr_ = nullptr;
  std::uint32_t key_len_ = 0;
  std::vector<std::uint64_t> linearized_;
  std::vector<std::uint64_t> decided_;  // linearized or dead; one more word holds max_call for the key
  std::vector<std::uint32_t> soft_;  // windowed optional ops, by completion
  std::vector<std::uint32_t> twin_;  // an op's earlier interchangeable twin, or kNever
  std::vector<std::uint8_t> observation_;  // definite and changes no state
  std::uint32_t words_ = 0;
  bool dense_only_ = true;

  std::uint32_t remaining_ = 0;  // definite ops not yet linearized
  std::uint64_t steps_ = 0;
  std::uint64_t checks_ = 0;
  std::int32_t best_ = -1;
  std::size_t low_water_ = 0;    // result_.linearization[0, low_water_) == the path's ops there
};

}  // namespace

template <class Model>
std::unique_ptr<Search> make_search(const std::vector<LinOp>& ops, Model& model, const Budget& budget, bool witness,
                                    Lookahead lookahead) {
  return std::make_unique<SearchImpl<Model>>(ops, model, budget, witness, lookahead);
}

template std::unique_ptr<Search> make_search<RegisterModel>(const std::vector<LinOp>&, RegisterModel&, const Budget&, bool,
                                                            Lookahead);
template std::unique_ptr<Search> make_search<KvModel>(const std::vector<LinOp>&, KvModel&, const Budget&, bool, Lookahead);
template std::unique_ptr<Search> make_search<KvMapModel>(const std::vector<LinOp>&, KvMapModel&, const Budget&, bool,
                                                         Lookahead);

}  // namespace faultline::check::lin
