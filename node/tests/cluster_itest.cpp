// Integration: real faultline-node processes on loopback (see cluster.h).
#include <set>

#include <gtest/gtest.h>

#include "faultline/testing/node_cluster.h"

namespace faultline::node::testing {
namespace {

// Short timeouts keep each test well under a minute; one failure marks a
// peer dead so later writes go straight to hints.
// Data-path tests: static membership, where one failed call marks a peer
// dead (unreachable_after), so kills take effect at once. SWIM's own
// timing is tested in membership_itest.cpp.
Json fast(Json extra = Json::object()) {
  Json j = {{"membership", "static"},
            {"peer_timeout_ms", 300},
            {"request_timeout_ms", 2000},
            {"unreachable_after", 1},
            {"hint_replay_interval_ms", 100}};
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  return j;
}

Json put(const std::string& key, const std::string& value, const std::string& level = "QUORUM") {
  return {{"op", "put"}, {"key", key}, {"value", value}, {"consistency", level}};
}
Json get(const std::string& key, const std::string& level = "QUORUM") {
  return {{"op", "get"}, {"key", key}, {"consistency", level}};
}
Json get_local(const std::string& key) { return {{"op", "get"}, {"key", key}, {"local", true}}; }

// Keys whose replicas (N=3) include `member`, coordinated by `coordinator`
// that is not a replica, so killing or pausing `member` never hits the
// coordinator.
std::vector<std::string> keys_on(const Ring& ring, const std::string& member, const std::string& coordinator, int count,
                                 const std::string& prefix) {
  std::vector<std::string> out;
  for (int k = 0; out.size() < static_cast<std::size_t>(count) && k < 100000; ++k) {
    const auto key = prefix + std::to_string(k);
    const auto reps = ring.replicas(key, 3);
    const bool has_member = std::find(reps.begin(), reps.end(), member) != reps.end();
    const bool has_coord = std::find(reps.begin(), reps.end(), coordinator) != reps.end();
    if (has_member && !has_coord) out.push_back(key);
  }
  return out;
}

TEST(Cluster, QuorumWritesSurviveSigkillOfAReplica) {
  Cluster c(5, fast());
  const int victim = 2, coord = 0;
  auto keys = keys_on(c.ring(), c.ids()[victim], c.ids()[coord], 10, "kill-");
  ASSERT_EQ(keys.size(), 10u);
  // Written at ALL, so the victim acknowledged every one before it dies.
  for (const auto& k : keys) ASSERT_TRUE(c.call(coord, put(k, "v1-" + k, "ALL"))["ok"]) << k;

  c.kill9(victim);
  for (const auto& k : keys) {
    Json r = c.call(coord, put(k, "v2-" + k));
    ASSERT_TRUE(r["ok"]) << r.dump();
  }
  for (const auto& k : keys) {
    Json r = c.call(coord, get(k));
    ASSERT_TRUE(r["ok"]) << r.dump();
    EXPECT_EQ(r["value"], "v2-" + k);
  }
  // Restarted, the victim still holds every write it acked (fsync always).
  c.start(victim);
  c.wait_ready(victim);
  for (const auto& k : keys) {
    Json r = c.call(victim, get_local(k));
    ASSERT_TRUE(r["ok"]) << r.dump();
    EXPECT_TRUE(r["value"] == "v1-" + k || r["value"] == "v2-" + k) << r.dump();
  }
  // ... and a quorum read through it sees the newest value.
  for (const auto& k : keys) EXPECT_EQ(c.call(victim, get(k))["value"], "v2-" + k);
}

TEST(Cluster, HintsCarryWritesToAPausedReplica) {
  Cluster c(5, fast());
  const int victim = 3, coord = 0;
  auto keys = keys_on(c.ring(), c.ids()[victim], c.ids()[coord], 10, "pause-");
  ASSERT_EQ(keys.size(), 10u);

  c.pause(victim);
  for (const auto& k : keys) {
    Json r = c.call(coord, put(k, "h-" + k));
    ASSERT_TRUE(r["ok"]) << r.dump();
  }
  // Calls to the paused replica time out (peer_timeout_ms) and become hints
  // on fallbacks; it is then marked dead and later writes are hinted at once.
  auto pending_hints = [&] {
    std::uint64_t pending = 0;
    for (int i = 0; i < 5; ++i)
      if (i != victim) pending += c.call(i, {{"op", "status"}})["hints"]["pending"].get<std::uint64_t>();
    return pending;
  };
  std::uint64_t pending = 0;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
       std::chrono::steady_clock::now() < until && (pending = pending_hints()) < keys.size();)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GE(pending, keys.size()) << "every write to the paused replica should have become a hint";

  c.resume(victim);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::uint64_t delivered = 0;
  for (;;) {
    pending = 0;
    delivered = 0;
    for (int i = 0; i < 5; ++i) {
      if (i == victim) continue;
      Json s = c.call(i, {{"op", "status"}});
      pending += s["hints"]["pending"].get<std::uint64_t>();
      delivered += s["counters"]["hints_delivered"].get<std::uint64_t>();
    }
    if (pending == 0 || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(pending, 0u) << "hints were not handed off";
  EXPECT_GT(delivered, 0u);
  // The replica alone now holds every write (hints are deleted only after
  // the owner acked them durably, so no waiting is needed here).
  for (const auto& k : keys) {
    Json r = c.call(victim, get_local(k));
    ASSERT_TRUE(r["ok"]) << r.dump();
    EXPECT_EQ(r["value"], "h-" + k) << k;
  }
}

TEST(Cluster, VersionVectorsKeepBothConcurrentWrites) {
  Cluster c(5, fast({{"versioning", "vv"}, {"write_mode", "one-phase"}}));
  // Two writers, neither having read: concurrent.
  ASSERT_TRUE(c.call(0, put("cart", "apple"))["ok"]);
  ASSERT_TRUE(c.call(1, put("cart", "pear"))["ok"]);
  Json r = c.call(2, get("cart", "ALL"));
  ASSERT_TRUE(r["ok"]) << r.dump();
  EXPECT_EQ(r["values"], Json({"apple", "pear"}));
  EXPECT_TRUE(r["value"].is_null());
  // Concurrent through one coordinator too.
  ASSERT_TRUE(c.call(3, put("cart", "plum"))["ok"]);
  r = c.call(4, get("cart", "ALL"));
  EXPECT_EQ(r["values"], Json({"apple", "pear", "plum"}));
  // A write with the read's context resolves the siblings.
  Json resolve = put("cart", "apple+pear+plum");
  resolve["context"] = r["context"];
  ASSERT_TRUE(c.call(0, resolve)["ok"]);
  r = c.call(1, get("cart", "ALL"));
  EXPECT_EQ(r["values"], Json({"apple+pear+plum"}));
}

// The forged-context tests inject no faults: a slow call on a loaded machine
// must not mark a peer dead (fast()'s unreachable_after 1) and fail an ALL write.
const Json kVvNoFailures = {{"versioning", "vv"}, {"write_mode", "one-phase"}, {"peer_timeout_ms", 2000},
                            {"unreachable_after", 1000}};

TEST(Cluster, ForgedVvContextIsRefusedAndDoesNotHideALaterWrite) {
  Cluster c(3, fast(kVvNoFailures));
  Json first = c.call(0, put("doc", "v1", "ALL"));
  ASSERT_TRUE(first["ok"]) << first.dump();
  // A context claiming n1 (node 0) issued a counter far beyond any it has:
  // accepted, it would cover n1's later writes and make them obsolete.
  Json forged = put("doc", "forged", "ALL");
  forged["context"] = {{"n1", std::uint64_t{1} << 61}};
  Json r = c.call(0, forged);
  EXPECT_EQ(r["error"], "bad_context") << r.dump();
  EXPECT_EQ(r["outcome"], "fail") << r.dump();
  EXPECT_NE(r.value("message", "").find("n1:"), std::string::npos) << r.dump();
  EXPECT_EQ(c.call(0, {{"op", "status"}})["counters"]["bad_contexts"], 1);

  Json read = c.call(1, get("doc", "ALL"));
  EXPECT_EQ(read["values"], Json::array({"v1"})) << read.dump();
  Json legit = put("doc", "v2", "ALL");
  legit["context"] = read["context"];
  ASSERT_TRUE(c.call(0, legit)["ok"]);
  for (int i = 0; i < 3; ++i) {
    Json after = c.call(i, get("doc", "ALL"));
    EXPECT_EQ(after["values"], Json::array({"v2"})) << i << ": " << after.dump();
  }
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Values every node holds for `key` by itself.
std::vector<Json> local_values(Cluster& c, const std::string& key) {
  std::vector<Json> out;
  for (int i = 0; i < 3; ++i) out.push_back(c.call(i, get_local(key))["values"]);
  return out;
}

bool has_value(const Json& values, const std::string& v) {
  return std::find(values.begin(), values.end(), Json(v)) != values.end();
}

TEST(Cluster, ForgedVvContextForAnotherNodeIsRefusedOrDisarmed) {
  Cluster c(3, fast(kVvNoFailures));
  Json first = c.call(0, put("doc", "v1", "ALL"));
  ASSERT_TRUE(first["ok"]) << first.dump();
  // 1. Far beyond any clock: n2 (node 1) cannot have issued 2^60, so n1
  //    refuses it although the entry is not its own.
  Json absurd = put("doc", "absurd", "ALL");
  absurd["context"] = {{"n2", std::uint64_t{1} << 60}};
  Json r = c.call(0, absurd);
  EXPECT_EQ(r["error"], "bad_context") << r.dump();
  EXPECT_EQ(r["outcome"], "fail") << r.dump();
  EXPECT_NE(r.value("message", "").find("n2:"), std::string::npos) << r.dump();

  // 2. Plausible (one minute ahead, within max_clock_skew_ms) but forged:
  //    accepted, and stored on every replica, n2 included. n2 moves its dot
  //    counter past it, so n2's next write is not covered by it.
  Json plausible = put("doc", "forged", "ALL");
  plausible["context"] = {{"n2", now_us() + 60'000'000}};
  ASSERT_TRUE(c.call(0, plausible)["ok"]);
  ASSERT_TRUE(c.call(1, put("doc", "later-by-n2", "ALL"))["ok"]);
  for (const auto& values : local_values(c, "doc")) {
    EXPECT_TRUE(has_value(values, "later-by-n2")) << "n2's later write hidden: " << values.dump();
    EXPECT_TRUE(has_value(values, "v1")) << values.dump();
  }
  // And a client that read it all can still resolve the siblings through n2.
  Json read = c.call(2, get("doc", "ALL"));
  Json resolve = put("doc", "resolved", "ALL");
  resolve["context"] = read["context"];
  Json rr = c.call(1, resolve);
  ASSERT_TRUE(rr["ok"]) << rr.dump();
  for (const auto& values : local_values(c, "doc")) EXPECT_EQ(values, Json::array({"resolved"}));
}

TEST(Cluster, NoHintsForAnOwnerDownLongerThanTheHintWindow) {
  Cluster c(4, fast({{"hint_window_ms", 1500}}));
  const int victim = 3, coord = 0;
  auto keys = keys_on(c.ring(), c.ids()[victim], c.ids()[coord], 2, "window-");
  ASSERT_EQ(keys.size(), 2u);
  c.kill9(victim);
  auto counter = [&](const char* name) { return c.call(coord, {{"op", "status"}})["counters"][name].get<std::uint64_t>(); };
  // Within the window: the failed call makes the owner dead and its write a hint.
  Json r1 = c.call(coord, put(keys[0], "in-window"));
  ASSERT_TRUE(r1["ok"]) << r1.dump();
  // The reply goes out at W acks, which may beat the hint's own ack (so its
  // "hinted" may say 0); the counter is the record that the hint was stored.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (counter("hints_written") == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(counter("hints_written"), 1u);
  EXPECT_EQ(counter("hints_skipped_window"), 0u);
  // Past it (the coordinator's own record: the first failed call), no more
  // hints for that owner; the write still reaches W on the other owners.
  std::this_thread::sleep_for(std::chrono::milliseconds(1800));
  Json r2 = c.call(coord, put(keys[1], "past-window"));
  ASSERT_TRUE(r2["ok"]) << r2.dump();
  EXPECT_EQ(r2["hinted"], 0) << r2.dump();
  EXPECT_EQ(counter("hints_written"), 1u);
  EXPECT_EQ(counter("hints_skipped_window"), 1u);
}

TEST(Cluster, BadInputGetsErrorsAndTheNodeKeepsServing) {
  Cluster c(3, fast({{"max_value_bytes", 16}}));
  EXPECT_EQ(c.call(0, {{"op", "frobnicate"}})["error"], "unknown_op");
  EXPECT_EQ(c.call(0, put("k", std::string(100, 'x')))["error"], "value_too_large");
  EXPECT_EQ(c.call(0, {{"op", "get"}})["error"], "bad_request");
  Json peer = make_peer_request(PeerOp::kRead, "n2", "k");
  peer["proto"] = 999;
  EXPECT_EQ(c.call(0, peer)["error"], "protocol_version");
  // Garbage and an absurd length on raw sockets.
  for (std::string raw : {std::string("\x00\x00\x00\x05hello", 9), std::string("\x7f\xff\xff\xff", 4)}) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(c.port(0)));
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    EXPECT_GT(n, 4);
    ::close(fd);
  }
  EXPECT_TRUE(c.call(0, put("k", "fine"))["ok"]);
  EXPECT_EQ(c.call(0, get("k"))["value"], "fine");
}

TEST(Cluster, UnavailableWritesAreDefiniteFailures) {
  Cluster c(3, fast());
  c.kill9(1);
  c.kill9(2);
  // Let the survivor learn they are gone (a failed call marks them dead).
  c.call(0, put("x", "1", "ONE"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    Json members = c.call(0, {{"op", "status"}})["members"];
    int dead = 0;
    for (const auto& m : members) dead += m["state"] == "dead";
    if (dead == 2 || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Json r = c.call(0, put("x", "2", "ALL"));
  EXPECT_FALSE(r["ok"]);
  EXPECT_EQ(r["outcome"], "fail") << r.dump();
}

TEST(Cluster, ZombieAnswersProbesButNotData) {
  Cluster c(3, fast());
  ASSERT_TRUE(c.call(1, {{"op", "admin"}, {"zombie", true}})["zombie"]);
  EXPECT_TRUE(c.call(1, {{"op", "ping"}})["ok"]);
  EXPECT_TRUE(c.call(1, {{"op", "status"}})["zombie"]);
  EXPECT_EQ(c.call(1, get("k"), 1000)["error"], "client_timeout");
  // The other two still make a quorum; the zombie costs a peer timeout.
  Json r = c.call(0, put("k", "v"));
  EXPECT_TRUE(r["ok"]) << r.dump();
  ASSERT_FALSE(c.call(1, {{"op", "admin"}, {"zombie", false}})["zombie"]);
  EXPECT_EQ(c.call(1, get("k"))["value"], "v");
}

TEST(Cluster, ReadsHedgeAroundASilentReplicaInsteadOfWaitingForItsTimeout) {
  // A read asks R replicas and holds the rest back; a replica that takes
  // the request and never answers (zombie, not yet suspected: the failure
  // threshold is high) must cost the hedge delay (peer_timeout_ms / 10),
  // not a peer timeout, before a held-back replica is asked.
  Cluster c(3, fast({{"peer_timeout_ms", 1500}, {"request_timeout_ms", 4000}, {"unreachable_after", 1000}}));
  std::vector<std::string> keys;
  for (int i = 0; i < 12; ++i) {
    keys.push_back("hedge-" + std::to_string(i));
    ASSERT_TRUE(c.call(0, put(keys.back(), "v" + std::to_string(i)))["ok"]);
  }
  ASSERT_TRUE(c.call(2, {{"op", "admin"}, {"zombie", true}})["zombie"]);
  for (int i = 0; i < 12; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    Json r = c.call(i % 2, get(keys[i]));
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    EXPECT_EQ(r["value"], "v" + std::to_string(i)) << r.dump();
    EXPECT_LT(ms.count(), 1000) << keys[i] << " waited for the silent replica's timeout";
  }
  ASSERT_FALSE(c.call(2, {{"op", "admin"}, {"zombie", false}})["zombie"]);
}

}  // namespace
}  // namespace faultline::node::testing
