// The client workers, run for real against a loopback server that accepts
// connections and never answers: every write times out (info), every read
// fails. No faultline-node needed, no root.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "faultline/history/jsonl.h"
#include "faultline/testing/test_dir.h"
#include "generator.h"
#include "faultline/workloads/workload.h"

namespace faultline::workloads {
namespace {

using Clock = std::chrono::steady_clock;
using history::Op;
using history::OpType;
using node::testing::TestDir;

// Listens on a loopback port and reads whatever arrives. Silent, it never
// replies; answering, it replies to every frame {"ok": true} with an empty
// get result, as a healthy node holding no keys would.
class SilentServer {
 public:
  explicit SilentServer(bool answering = false) : answering_(answering) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_, 64) != 0)
      throw std::runtime_error("SilentServer: cannot listen");
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~SilentServer() {
    stop_ = true;
    thread_.join();
    for (int fd : clients_) ::close(fd);
    ::close(listener_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void serve() {
    char buf[4096];
    while (!stop_) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (int fd : clients_) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) clients_.push_back(::accept(listener_, nullptr, nullptr));
      for (std::size_t i = 1; i < fds.size(); ++i)
        if (fds[i].revents & (POLLIN | POLLHUP)) {
          const ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
          if (n <= 0) {
            ::close(fds[i].fd);
            std::erase(clients_, fds[i].fd);
            pending_.erase(fds[i].fd);
          } else if (answering_) {
            answer(fds[i].fd, std::string(buf, static_cast<std::size_t>(n)));
          }
        }
    }
  }
  // Frames are a 4-byte big-endian length and a JSON object (node/PROTOCOL.md).
  void answer(int fd, const std::string& data) {
    std::string& in = pending_[fd];
    in += data;
    while (in.size() >= 4) {
      const auto* p = reinterpret_cast<const unsigned char*>(in.data());
      const std::size_t len = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
      if (in.size() < 4 + len) return;
      const auto request = history::Json::parse(in.substr(4, len));
      in.erase(0, 4 + len);
      const std::string body =
          history::Json{{"id", request["id"]}, {"ok", true}, {"found", false}, {"values", history::Json::array()}}.dump();
      std::string frame(4, '\0');
      for (int b = 0; b < 4; ++b) frame[static_cast<std::size_t>(b)] = static_cast<char>((body.size() >> (24 - 8 * b)) & 0xff);
      frame += body;
      ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
    }
  }
  const bool answering_;
  std::map<int, std::string> pending_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<int> clients_;
  std::thread thread_;
};

struct RunResult {
  history::History history;
  std::int64_t ok = 0, fail = 0, info = 0;
  Clock::duration took{};
};

RunResult run_workload(const std::string& name, const WorkloadOptions& o, std::chrono::milliseconds stop_after = {}) {
  TestDir dir("workload-run");
  const auto path = (dir.path() / "history.jsonl").string();
  Stats stats;
  std::atomic<bool> stop{false};
  auto workload = make_workload(name, o);
  RunResult r;
  {
    history::HistoryWriter writer(path);
    std::thread stopper;
    if (stop_after.count() > 0)
      stopper = std::thread([&] {
        std::this_thread::sleep_for(stop_after);
        stop = true;
      });
    const auto start = Clock::now();
    workload->run(writer, stop, stats);
    r.took = Clock::now() - start;
    if (stopper.joinable()) stopper.join();
    writer.close();
  }
  r.history = history::read_jsonl(path);
  r.ok = stats.ok;
  r.fail = stats.fail;
  r.info = stats.info;
  return r;
}

// Every process alternates invoke, completion, ... and ends on a completion.
void expect_all_completed(const std::vector<Op>& ops) {
  std::map<std::int64_t, const Op*> open;
  for (const Op& op : ops) {
    if (op.is_invoke()) {
      EXPECT_EQ(open.count(op.process), 0u) << "process " << op.process << " invoked twice at index " << op.index;
      open[op.process] = &op;
    } else {
      ASSERT_EQ(open.count(op.process), 1u) << "completion without invocation at index " << op.index;
      EXPECT_EQ(open[op.process]->f, op.f);
      EXPECT_EQ(open[op.process]->key, op.key);
      EXPECT_GE(op.time, open[op.process]->time);
      open.erase(op.process);
    }
  }
  EXPECT_TRUE(open.empty()) << open.size() << " invocations never completed";
}

WorkloadOptions silent(const SilentServer& server) {
  WorkloadOptions o;
  o.nodes = {{"n1", server.address()}, {"n2", server.address()}};
  o.seed = 3;
  o.op_timeout = std::chrono::milliseconds(40);
  o.time_limit = std::chrono::milliseconds(600);
  o.read_fraction = 0.3;
  return o;
}

TEST(WorkloadRun, InfoRetiresTheProcessAndTheWorkerCarriesOnUnderANewOne) {
  SilentServer server;
  const auto o = silent(server);
  const auto r = run_workload("register", o);
  const int workers = worker_count(o);  // 4: two per node
  ASSERT_EQ(workers, 4);
  expect_all_completed(r.history.ops);
  EXPECT_LT(r.took, o.time_limit + o.op_timeout + std::chrono::milliseconds(300));

  std::map<int, std::int64_t> current;  // worker -> process it is on
  for (int w = 0; w < workers; ++w) current[w] = w;
  std::set<std::int64_t> retired;
  std::int64_t infos = 0, fails = 0;
  for (const Op& op : r.history.ops) {
    const int w = static_cast<int>(op.process % workers);
    EXPECT_EQ(op.process, current[w]) << "index " << op.index;
    EXPECT_EQ(retired.count(op.process), 0u) << "retired process " << op.process << " reused at index " << op.index;
    EXPECT_EQ(op.node, w % 2 == 0 ? "n1" : "n2") << "worker " << w << " not pinned round-robin";
    if (op.is_invoke()) continue;
    if (op.f == "write") {
      // A write that got no reply may have happened: info, and a new process.
      EXPECT_EQ(op.type, OpType::kInfo);
      EXPECT_EQ(op.error, "timeout");
      ++infos;
      retired.insert(op.process);
      current[w] += workers;
    } else {
      EXPECT_EQ(op.type, OpType::kFail);  // a read that got no reply changed nothing
      EXPECT_EQ(op.error, "timeout");
      ++fails;
    }
  }
  EXPECT_GT(infos, 10);
  EXPECT_GT(fails, 3);
  EXPECT_EQ(r.info, infos);
  EXPECT_EQ(r.fail, fails);
  EXPECT_EQ(r.ok, 0);
}

TEST(WorkloadRun, StopMidOperationStillCompletesEveryInvocation) {
  SilentServer server;
  auto o = silent(server);
  o.op_timeout = std::chrono::milliseconds(300);
  o.time_limit = std::chrono::seconds(20);
  const auto r = run_workload("set", o, std::chrono::milliseconds(100));
  EXPECT_LT(r.took, std::chrono::seconds(1));
  ASSERT_FALSE(r.history.ops.empty());
  expect_all_completed(r.history.ops);
}

TEST(WorkloadRun, EachWorkerRunsItsGeneratorsSequenceWhateverTheTiming) {
  SilentServer server;
  auto o = silent(server);
  o.seed = 77;
  o.op_timeout = std::chrono::milliseconds(15);
  o.time_limit = std::chrono::milliseconds(400);
  for (const std::string name : {"register", "set"}) {
    std::vector<std::vector<std::vector<PlannedOp>>> runs;
    for (int run = 0; run < 2; ++run) {
      const auto r = run_workload(name, o);
      std::vector<std::vector<PlannedOp>> per_worker(static_cast<std::size_t>(worker_count(o)));
      for (const Op& op : r.history.ops)
        if (op.is_invoke()) per_worker[static_cast<std::size_t>(op.process % worker_count(o))].push_back({op.f, op.key, op.value});
      runs.push_back(per_worker);
    }
    for (int w = 0; w < worker_count(o); ++w) {
      const auto& a = runs[0][static_cast<std::size_t>(w)];
      const auto& b = runs[1][static_cast<std::size_t>(w)];
      ASSERT_GT(std::min(a.size(), b.size()), 5u) << name << " worker " << w;
      auto g = make_generator(name, o, w);
      for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
        const PlannedOp expected = g->next();
        if (i < a.size()) {
          EXPECT_EQ(a[i], expected) << name << " worker " << w << " op " << i << " (run 1)";
        }
        if (i < b.size()) {
          EXPECT_EQ(b[i], expected) << name << " worker " << w << " op " << i << " (run 2)";
        }
      }
    }
  }
}

TEST(WorkloadRun, RateLimitHoldsOverAllWorkersAndTimesCountFromTheOrigin) {
  SilentServer server(/*answering=*/true);
  auto o = silent(server);
  o.rate = 50;
  o.time_limit = std::chrono::seconds(1);
  o.origin = Clock::now() - std::chrono::seconds(5);
  const auto r = run_workload("register", o);
  expect_all_completed(r.history.ops);
  // Four workers that could each go thousands of times faster: 50 slots
  // 20 ms apart in the second.
  EXPECT_GE(r.ok, 47);
  EXPECT_LE(r.ok, 51);
  EXPECT_EQ(r.fail + r.info, 0);
  ASSERT_FALSE(r.history.ops.empty());
  EXPECT_GE(r.history.ops.front().time, 5'000'000'000);
  EXPECT_LT(r.history.ops.back().time, 6'500'000'000);
  for (const Op& op : r.history.ops) {
    if (op.f == "read" && op.is_completion()) {
      EXPECT_TRUE(op.value.is_null());  // a key never written reads null
    }
  }
  // It was the limit that held them back: unlimited, a third of the time
  // gives several times as many.
  o.rate = 0;
  o.time_limit = std::chrono::milliseconds(300);
  EXPECT_GT(run_workload("register", o).ok, 200);
}

TEST(WorkloadRun, RefusedConnectionsAreFailuresWithABackoff) {
  // A port nobody listens on: bind, read its number, close.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  WorkloadOptions o;
  o.nodes = {{"n1", "127.0.0.1:" + std::to_string(ntohs(a.sin_port))}};
  o.time_limit = std::chrono::milliseconds(500);
  o.op_timeout = std::chrono::milliseconds(1000);
  const auto r = run_workload("register", o);
  expect_all_completed(r.history.ops);
  // Two workers, 100 ms pause after each refusal: about 10 ops, not thousands.
  EXPECT_GE(r.fail, 2);
  EXPECT_LE(r.fail, 16);
  for (const Op& op : r.history.ops)
    if (op.is_completion()) {
      EXPECT_EQ(op.type, OpType::kFail);  // never sent: definitely not applied, even a write
      EXPECT_EQ(op.error, "connect");
    }
}

}  // namespace
}  // namespace faultline::workloads
