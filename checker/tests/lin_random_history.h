// Random histories for the linearizability tests.
//
// generate_linearizable(): clients run against one sequential model; each
// operation takes effect at an instant between its invocation and its
// completion, so the history is linearizable by construction. Some ops time
// out (info) after taking effect, some without; some fail with an error
// and never happen; a cas whose comparison fails completes either as an ok
// with result {"ok": false} (the observation) or as a fail without error
// (which constrains nothing). Some are still in flight when the history ends.
//
// generate_arbitrary(): small histories whose results are random (from a
// small domain, so both verdicts occur), for comparing with brute force.
#ifndef FAULTLINE_CHECKER_TESTS_LIN_RANDOM_HISTORY_H_
#define FAULTLINE_CHECKER_TESTS_LIN_RANDOM_HISTORY_H_

#include <map>
#include <random>
#include <string>
#include <vector>

#include "faultline/history/event.h"

namespace faultline::testing {

enum class RandomModel { kRegister, kCasRegister, kKv };

struct RandomParams {
  RandomModel model = RandomModel::kCasRegister;
  int ops = 50;
  int processes = 4;
  int keys = 1;
  int values = 5;           // register values 0..values-1
  double info_rate = 0.05;  // ops that time out
  double fail_rate = 0.03;  // ops that fail with an error, never happening
};

class RandomHistory {
 public:
  using Json = history::Json;

  explicit RandomHistory(std::uint64_t seed) : rng_(seed) {}

  int uniform(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  history::History generate_linearizable(const RandomParams& p) {
    history::History h;
    struct Client {
      std::int64_t process;
      int phase = 0;  // 0 idle, 1 invoked, 2 took effect
      std::string f, key;
      Json arg, result;
      bool failed = false, lost = false, error_fail = false;
    };
    std::vector<Client> cs(static_cast<std::size_t>(p.processes));
    for (int c = 0; c < p.processes; ++c) cs[static_cast<std::size_t>(c)].process = c;
    std::int64_t next_process = p.processes;
    std::map<std::string, Json> state;
    const bool kv = p.model == RandomModel::kKv;
    int invoked = 0, counter = 0;
    auto emit = [&](const Client& c, history::OpType type, Json value, const std::string& error = "") {
      history::Op op;
      op.index = static_cast<std::int64_t>(h.ops.size());
      op.time = op.index;
      op.process = c.process;
      op.type = type;
      op.f = c.f;
      op.key = c.key;
      op.value = std::move(value);
      op.error = error;
      h.ops.push_back(std::move(op));
    };
    auto current = [&](const std::string& key) -> Json {
      auto it = state.find(key);
      return it == state.end() ? (kv ? Json("") : Json(nullptr)) : it->second;
    };
    for (int guard = 0; guard < p.ops * 50; ++guard) {
      Client& c = cs[static_cast<std::size_t>(uniform(p.processes))];
      if (c.phase == 0) {
        if (invoked == p.ops) {
          bool busy = false;
          for (const Client& o : cs) busy = busy || o.phase != 0;
          if (!busy) break;
          continue;
        }
        ++invoked;
        c.key = "k" + std::to_string(uniform(p.keys));
        c.failed = false;
        c.lost = chance(p.info_rate / 2);
        c.error_fail = !c.lost && chance(p.fail_rate);
        const int r = uniform(p.model == RandomModel::kCasRegister ? 3 : 2);
        if (kv) {
          c.f = r == 0 ? "get" : chance(0.5) ? "put" : "append";
          c.arg = c.f == "get" ? Json(nullptr) : Json("v" + std::to_string(counter++) + ";");
          if (c.f == "put" && chance(0.3)) c.arg = "";  // texts that recur by other routes
        } else if (r == 0) {
          c.f = "read";
          c.arg = nullptr;
        } else if (r == 1) {
          c.f = "write";
          c.arg = uniform(p.values);
        } else {
          c.f = "cas";
          c.arg = Json::array({uniform(p.values), uniform(p.values)});
        }
        emit(c, history::OpType::kInvoke, c.arg);
        c.phase = 1;
      } else if (chance(0.01)) {  // never completes: the client moves on as a new process
        c.process = next_process++;
        c.phase = 0;
      } else if (c.phase == 1) {
        if (c.lost || c.error_fail) {
          if (c.lost) {
            emit(c, history::OpType::kInfo, nullptr, "timed-out");
            c.process = next_process++;
          } else {
            emit(c, history::OpType::kFail, c.arg, "unavailable");
          }
          c.phase = 0;
          continue;
        }
        Json now = current(c.key);
        if (c.f == "read" || c.f == "get") c.result = now;
        if (c.f == "write" || c.f == "put") state[c.key] = c.arg;
        if (c.f == "append") state[c.key] = now.get<std::string>() + c.arg.get<std::string>();
        if (c.f == "cas") {
          c.failed = now != c.arg[0];
          if (!c.failed) state[c.key] = c.arg[1];
        }
        c.phase = 2;
      } else {
        if (chance(p.info_rate / 2)) {  // took effect, but the client never heard
          emit(c, history::OpType::kInfo, nullptr, "timed-out");
          c.process = next_process++;
        } else if (c.failed) {
          if (chance(0.5)) {
            emit(c, history::OpType::kOk, Json{{"ok", false}});
          } else {
            emit(c, history::OpType::kFail, c.arg);
          }
        } else {
          emit(c, history::OpType::kOk, c.f == "read" || c.f == "get" ? c.result : c.arg);
        }
        c.phase = 0;
      }
    }
    return h;
  }

  // Small histories with random results. kv gets return one of a few texts
  // that the appends could or could not have built.
  history::History generate_arbitrary(const RandomParams& p) {
    history::History h;
    const bool kv = p.model == RandomModel::kKv;
    std::vector<int> in_flight(static_cast<std::size_t>(p.processes), -1);  // -> op number
    std::vector<std::int64_t> process(static_cast<std::size_t>(p.processes));
    for (int c = 0; c < p.processes; ++c) process[static_cast<std::size_t>(c)] = c;
    std::int64_t next_process = p.processes;
    struct Pending {
      std::string f, key;
      Json arg;
    };
    std::vector<Pending> pending(static_cast<std::size_t>(p.processes));
    int invoked = 0;
    const std::vector<std::string> texts = {"", "a", "b", "ab", "ba", "aa"};
    auto emit = [&](std::int64_t proc, history::OpType type, const Pending& op, Json value, const std::string& error) {
      history::Op e;
      e.index = static_cast<std::int64_t>(h.ops.size());
      e.time = e.index;
      e.process = proc;
      e.type = type;
      e.f = op.f;
      e.key = op.key;
      e.value = std::move(value);
      e.error = error;
      h.ops.push_back(std::move(e));
    };
    while (true) {
      const auto c = static_cast<std::size_t>(uniform(p.processes));
      if (in_flight[c] < 0) {
        if (invoked == p.ops) {
          bool busy = false;
          for (int f : in_flight) busy = busy || f >= 0;
          if (!busy) break;
          continue;
        }
        Pending op;
        op.key = "k" + std::to_string(uniform(p.keys));
        const int r = uniform(3);
        if (kv) {
          op.f = r == 0 ? "get" : r == 1 ? "put" : "append";
          op.arg = op.f == "get" ? Json(nullptr) : Json(texts[static_cast<std::size_t>(1 + uniform(2))]);
        } else {
          op.f = r == 0 ? "read" : r == 1 || p.model == RandomModel::kRegister ? "write" : "cas";
          op.arg = op.f == "read" ? Json(nullptr)
                   : op.f == "write" ? Json(uniform(p.values))
                                     : Json::array({uniform(p.values), uniform(p.values)});
        }
        pending[c] = op;
        in_flight[c] = invoked++;
        emit(process[c], history::OpType::kInvoke, op, op.arg, "");
        continue;
      }
      const Pending& op = pending[c];
      const double roll = std::uniform_real_distribution<double>(0, 1)(rng_);
      if (roll < 0.03) {  // never completes: the client moves on as a new process
        in_flight[c] = -1;
        process[c] = next_process++;
        continue;
      }
      if (roll < 0.12) {
        emit(process[c], history::OpType::kInfo, op, nullptr, "timed-out");
        process[c] = next_process++;
      } else if (roll < 0.17) {
        emit(process[c], history::OpType::kFail, op, op.arg, "unavailable");
      } else if (op.f == "cas" && roll < 0.3) {
        emit(process[c], history::OpType::kFail, op, op.arg, "");
      } else if (op.f == "cas" && roll < 0.4) {
        emit(process[c], history::OpType::kOk, op, Json{{"ok", false}}, "");
      } else if (op.f == "read") {
        emit(process[c], history::OpType::kOk, op, uniform(p.values + 1) == p.values ? Json(nullptr) : Json(uniform(p.values)), "");
      } else if (op.f == "get") {
        emit(process[c], history::OpType::kOk, op, texts[static_cast<std::size_t>(uniform(static_cast<int>(texts.size())))], "");
      } else {
        emit(process[c], history::OpType::kOk, op, op.arg, "");
      }
      in_flight[c] = -1;
    }
    return h;
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace faultline::testing

#endif  // FAULTLINE_CHECKER_TESTS_LIN_RANDOM_HISTORY_H_
