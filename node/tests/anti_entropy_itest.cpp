// Integration: Merkle anti-entropy between real faultline-node processes
// (issue 9). Hinted handoff is off in every test, and nothing reads through
// the cluster until the end, so only anti-entropy can move data to the
// replica that missed it; replicas are checked one by one with local reads.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "faultline/testing/file_text.h"
#include "faultline/testing/node_cluster.h"

namespace faultline::node::testing {
namespace {

using Clock = std::chrono::steady_clock;

// 3 members, N = 3: every node replicates every range, so the paused node
// is a replica of every key written. fsync never: the test is about
// repair, not durability, and 10,000 fsyncs per node would dominate.
// Static membership: one failed call marks the paused replica dead, so the
// coordinators stop sending it writes at once and what it misses is known
// (under SWIM they keep trying until the detector decides, and its socket
// buffer catches a varying share).
Json ae_cluster(Json extra = Json::object()) {
  Json j = {{"membership", "static"},
            {"hinted_handoff", false},
            {"anti_entropy", true},
            {"anti_entropy_interval_ms", 1000},
            {"anti_entropy_keys_per_sec", 50000},
            {"fsync", "never"},
            {"peer_timeout_ms", 300},
            {"request_timeout_ms", 2000},
            {"unreachable_after", 1},
            {"hint_replay_interval_ms", 100},
            {"log_level", "info"}};
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  return j;
}

Json put(const std::string& key, const std::string& value) {
  return {{"op", "put"}, {"key", key}, {"value", value}, {"consistency", "QUORUM"}};
}
Json del(const std::string& key) { return {{"op", "delete"}, {"key", key}, {"consistency", "QUORUM"}}; }
Json get_local(const std::string& key) { return {{"op", "get"}, {"key", key}, {"local", true}}; }

// Writes key0..key(n-1) at QUORUM through node `via` from several client threads;
// returns how many were acknowledged.
int write_keys(Cluster& c, int via, int n) {
  std::atomic<int> next{0}, acked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i; (i = next++) < n;) {
        const std::string k = "key" + std::to_string(i);
        // A write may time out while the coordinator is still finding out
        // that the paused node is gone: retried, like a client would.
        for (int attempt = 0; attempt < 3; ++attempt)
          if (c.call(via, put(k, "v-" + k)).value("ok", false)) {
            ++acked;
            break;
          }
      }
    });
  for (auto& t : threads) t.join();
  return acked.load();
}

// Keys of key<from>..key<n-1> that node `i` holds with the written value.
int held_by(Cluster& c, int i, int n, int from = 0) {
  std::atomic<int> next{from}, held{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int k; (k = next++) < n;) {
        const std::string key = "key" + std::to_string(k);
        if (c.call(i, get_local(key)).value("value", Json()) == "v-" + key) ++held;
      }
    });
  for (auto& t : threads) t.join();
  return held.load();
}

Json ae_status(Cluster& c, int i) { return c.call(i, {{"op", "status"}})["anti_entropy"]; }

using faultline::testing::slurp;

// 10,000 keys: about 5 s of writes on the 2-core development VM.
constexpr int kKeys = 10000;

TEST(AntiEntropy, AloneBringsAPausedReplicaUpToDate) {
  Cluster c(3, ae_cluster());
  const int victim = 2;
  c.pause(victim);
  const auto t0 = Clock::now();
  ASSERT_EQ(write_keys(c, 0, kKeys), kKeys);
  const auto write_s = std::chrono::duration<double>(Clock::now() - t0).count();
  c.resume(victim);
  const auto resumed = Clock::now();
  // No client reads: the victim's tracked key count comes from its status.
  std::uint64_t keys = 0;
  while (Clock::now() - resumed < std::chrono::seconds(15)) {
    keys = ae_status(c, victim).value("keys", std::uint64_t{0});
    if (keys >= static_cast<std::uint64_t>(kKeys)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto repair_s = std::chrono::duration<double>(Clock::now() - resumed).count();
  std::cerr << "wrote " << kKeys << " keys in " << write_s << " s; repaired in " << repair_s << " s\n";
  ASSERT_EQ(keys, static_cast<std::uint64_t>(kKeys)) << "anti-entropy did not bring the replica up to date in 15 s";
  // Within a few 1 s intervals.
  EXPECT_LT(repair_s, 8.0);
  // The replica alone holds every value.
  EXPECT_EQ(held_by(c, victim, kKeys), kKeys);
  // Counters and the log say how.
  Json s = ae_status(c, victim);
  Json s0 = ae_status(c, 0);
  EXPECT_GT(s["exchanges"].get<std::uint64_t>(), 0u);
  EXPECT_GT(s["trees_compared"].get<std::uint64_t>(), 0u);
  // (A few writes reach the victim from its socket buffer on resume.)
  EXPECT_GE(s["keys_repaired"].get<std::uint64_t>() + s0["keys_repaired"].get<std::uint64_t>() +
                ae_status(c, 1)["keys_repaired"].get<std::uint64_t>(),
            static_cast<std::uint64_t>(kKeys * 9 / 10));
  EXPECT_GT(s["bytes_sent"].get<std::uint64_t>(), 0u);
  const std::string log = slurp(c.log_of(victim)) + slurp(c.log_of(0)) + slurp(c.log_of(1));
  EXPECT_NE(log.find("\"anti_entropy_repair\""), std::string::npos);
  EXPECT_NE(log.find("\"range\""), std::string::npos);
}

TEST(AntiEntropy, OffThePausedReplicaStaysBehind) {
  Cluster c(3, ae_cluster({{"anti_entropy", false}}));
  const int victim = 2;
  c.pause(victim);
  ASSERT_EQ(write_keys(c, 0, kKeys), kKeys);
  c.resume(victim);
  std::this_thread::sleep_for(std::chrono::seconds(4));  // a few intervals
  Json s = ae_status(c, victim);
  EXPECT_EQ(s["exchanges"].get<std::uint64_t>(), 0u);
  // A few writes sent before the coordinator gave up on the paused node may
  // still land once it resumes (they sat in its socket buffer); the rest
  // stay missing.
  EXPECT_LT(s["keys"].get<std::uint64_t>(), static_cast<std::uint64_t>(kKeys / 10));
  // The last 2,000 keys were written after the coordinator had given up on
  // the victim: none of them can have reached it.
  EXPECT_EQ(held_by(c, victim, kKeys, kKeys - 2000), 0);
}

// Pauses `victim` and waits until node 0 has given up on it, so nothing
// written through node 0 from then on waits in the victim's socket buffer
// (it would be applied the moment the victim resumes, without any repair).
void pause_until_given_up(Cluster& c, int victim) {
  c.pause(victim);
  ASSERT_TRUE(c.call(0, put("poke", "x")).value("ok", false));
  auto victim_dead = [&] {
    const Json status = c.call(0, {{"op", "status"}});
    for (const auto& m : status["members"])
      if (m["id"] == c.ids()[victim]) return m["state"] == "dead";
    return false;
  };
  for (auto until = Clock::now() + std::chrono::seconds(5); Clock::now() < until && !victim_dead();)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(victim_dead()) << c.call(0, {{"op", "status"}})["members"].dump();
}

// A key written to all three, then deleted at QUORUM while one replica is
// paused: the paused one still holds the old value when it resumes.
void delete_while_paused(Cluster& c, int victim) {
  Json all = {{"op", "put"}, {"key", "doomed"}, {"value", "old"}, {"consistency", "ALL"}};
  ASSERT_TRUE(c.call(0, all).value("ok", false));
  pause_until_given_up(c, victim);
  Json r = c.call(0, del("doomed"));
  ASSERT_TRUE(r.value("ok", false)) << r.dump();
}

TEST(AntiEntropy, RepairRateIsLimitedByTheKnob) {
  // 200 keys/s per node: the victim and both peers repair it, so at most
  // ~600 keys/s plus one exchange's budget (200) per node up front.
  Cluster c(3, ae_cluster({{"anti_entropy_keys_per_sec", 200}}));
  const int victim = 2, n = 3000;
  pause_until_given_up(c, victim);
  ASSERT_EQ(write_keys(c, 0, n), n);
  c.resume(victim);
  const auto resumed = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto after_2s = ae_status(c, victim)["keys"].get<std::uint64_t>();
  EXPECT_LT(after_2s, 2u + 600u * 2 + 3u * 200 + 100u) << "repair ran faster than the rate limit";
  EXPECT_GT(after_2s, 2u) << "no repair at all";  // "poke" and more
  std::uint64_t keys = after_2s;
  while (Clock::now() - resumed < std::chrono::seconds(15) && keys < static_cast<std::uint64_t>(n) + 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    keys = ae_status(c, victim)["keys"].get<std::uint64_t>();
  }
  EXPECT_EQ(keys, static_cast<std::uint64_t>(n) + 1);  // + "poke"
  std::cerr << "rate-limited repair: " << after_2s << " keys after 2 s, all " << n << " after "
            << std::chrono::duration<double>(Clock::now() - resumed).count() << " s\n";
}

TEST(AntiEntropy, DeleteSurvivesUnderTheNormalGrace) {
  Cluster c(3, ae_cluster({{"tombstone_grace_ms", 60000}}));
  const int victim = 2;
  delete_while_paused(c, victim);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // rounds pass on the others
  c.resume(victim);
  // Anti-entropy carries the tombstone to the resumed replica ...
  bool gone = false;
  for (auto until = Clock::now() + std::chrono::seconds(10); Clock::now() < until && !gone;) {
    gone = !c.call(victim, get_local("doomed")).value("found", true);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(gone) << "the tombstone never reached the resumed replica";
  // ... and the old value never comes back anywhere, rounds later.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(c.call(i, get_local("doomed")).value("found", true)) << "node " << i;
  EXPECT_EQ(ae_status(c, 0)["tombstones_purged"].get<std::uint64_t>(), 0u);
}

TEST(AntiEntropy, DeleteResurrectsUnderGcGrace) {
  // gc-grace purges tombstones before anti-entropy has carried them to every
  // replica: the anomaly the preset exists to show.
  Cluster c(3, ae_cluster({{"preset", "gc-grace"}, {"tombstone_grace_ms", 300}}));
  const int victim = 2;
  delete_while_paused(c, victim);
  // Both live replicas purge the tombstone.
  auto purged = [&] {
    return ae_status(c, 0)["tombstones_purged"].get<std::uint64_t>() > 0 &&
           ae_status(c, 1)["tombstones_purged"].get<std::uint64_t>() > 0;
  };
  for (auto until = Clock::now() + std::chrono::seconds(8); Clock::now() < until && !purged();)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(purged());
  EXPECT_FALSE(c.call(0, get_local("doomed")).value("found", true));
  c.resume(victim);
  // The resumed replica's old value is repaired back onto the others.
  bool back = false;
  for (auto until = Clock::now() + std::chrono::seconds(10); Clock::now() < until && !back;) {
    back = c.call(0, get_local("doomed")).value("value", Json()) == "old";
    if (!back) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(back) << "expected the deleted value to come back under gc-grace; logs:\n"
                    << slurp(c.log_of(victim)).substr(0, 6000) << "\n"
                    << c.call(victim, get_local("doomed")).dump() << ae_status(c, victim).dump();
}

TEST(AntiEntropy, TreesAreRebuiltFromDiskAtStartUp) {
  Cluster c(3, ae_cluster({{"fsync", "always"}}));
  for (int i = 0; i < 200; ++i) {
    Json all = {{"op", "put"}, {"key", "r" + std::to_string(i)}, {"value", "v"}, {"consistency", "ALL"}};
    ASSERT_TRUE(c.call(0, all).value("ok", false));
  }
  ASSERT_TRUE(c.call(0, {{"op", "delete"}, {"key", "r0"}, {"consistency", "ALL"}}).value("ok", false));
  Json root = {{"op", "peer.ae_root"}, {"proto", 1}, {"from", "n2"}, {"depth", 3}, {"root", "0000000000000000"}};
  std::vector<std::string> roots;
  for (int r = 0; r < 192; ++r) {
    root["range"] = r;
    roots.push_back(c.call(0, root)["root"].get<std::string>());
  }
  EXPECT_EQ(ae_status(c, 0)["keys"], 200);  // the tombstone counts: it is a version
  c.kill9(0);
  c.start(0);
  c.wait_ready(0);
  Json s = ae_status(c, 0);
  EXPECT_EQ(s["keys"], 200);
  EXPECT_EQ(s["tombstones"], 1);
  for (int r = 0; r < 192; ++r) {
    root["range"] = r;
    EXPECT_EQ(c.call(0, root)["root"].get<std::string>(), roots[static_cast<std::size_t>(r)]) << "range " << r;
  }
}

TEST(AntiEntropy, NodeRefusesMalformedAeFramesAndKeepsServing) {
  Cluster c(3, ae_cluster());
  const Ring ring = c.ring();
  // A range n1 replicates (N = 3 of 3 members: all of them).
  Json root = {{"op", "peer.ae_root"}, {"proto", 1}, {"from", "n2"}, {"range", 5}, {"depth", 3},
               {"root", "0000000000000000"}};
  Json r = c.call(0, root);
  ASSERT_TRUE(r.value("ok", false)) << r.dump();
  EXPECT_EQ(r["root"].get<std::string>().size(), 16u);
  auto refused = [&](Json m, const std::string& code, const std::string& words) {
    Json reply = c.call(0, m);
    EXPECT_FALSE(reply.value("ok", true)) << m.dump();
    EXPECT_EQ(reply.value("error", ""), code) << reply.dump();
    EXPECT_NE(reply.value("message", "").find(words), std::string::npos) << reply.dump();
  };
  Json m = root;
  m["depth"] = 4;
  refused(m, "bad_request", "tree depth 4 differs from this node's 3");
  m = root;
  m["range"] = static_cast<int>(ring.partitions());
  refused(m, "bad_request", "does not replicate range 192");
  m = root;
  m["root"] = 12;
  refused(m, "bad_request", "field 'root' must be 16 lowercase hex digits");
  m = root;
  m["op"] = "peer.ae_tree";
  m["level"] = 0;
  m["nodes"] = {1};
  refused(m, "bad_request", "'nodes' entries must be integers below 1");
  m = root;
  m["op"] = "peer.ae_push";
  m["items"] = Json::array({Json::array({"k", "not a record"})});
  refused(m, "bad_request", "items[0]: record: expected an array of siblings");
  // Still serving, and nothing was written by the refused push.
  EXPECT_TRUE(c.call(0, {{"op", "ping"}}).value("ok", false));
  EXPECT_FALSE(c.call(0, get_local("k")).value("found", true));
  EXPECT_GT(c.call(0, {{"op", "status"}})["counters"]["bad_requests"].get<std::uint64_t>(), 0u);
}

}  // namespace
}  // namespace faultline::node::testing
