// Integration: a real faultline-node fed bad peer input on raw loopback
// sockets (issue 4). Each case checks the reply a misbehaving peer gets,
// whether the connection is closed as PROTOCOL.md says, and that nothing
// it sent reached the database.
#include <gtest/gtest.h>

#include "hlc.h"
#include "faultline/testing/node_cluster.h"

namespace faultline::node::testing {
namespace {

// One client connection that can send several frames and tell a reply from
// a closed connection.
class Connection {
 public:
  explicit Connection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
  }
  ~Connection() { ::close(fd_); }

  void send_raw(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  }
  void send(const Json& message) { send_raw(encode_frame(message)); }

  // The next reply; null if the connection closed or nothing came in time.
  Json reply(int timeout_ms = 5000) {
    if (auto j = decoder_.next()) return *j;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    char buf[65536];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        return Json();
      }
      decoder_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
      if (auto j = decoder_.next()) return *j;
    }
    return Json();
  }

  // True if the node closes the connection within the timeout (after any
  // replies still in flight).
  bool closed_by_peer(int timeout_ms = 3000) {
    while (!closed_) {
      const Json extra = reply(timeout_ms);
      if (extra.is_null()) break;
    }
    return closed_;
  }

 private:
  int fd_;
  FrameDecoder decoder_{64u << 20};
  bool closed_ = false;
};

Json peer_write(const std::string& key, const std::string& value, int proto) {
  Sibling s;
  s.value = value;
  s.stamp = {wall_clock_us(), 0, "n9"};
  Record r;
  r.siblings.push_back(s);
  Json m = make_peer_request(PeerOp::kWrite, "n9", key, &r);
  m["proto"] = proto;
  return m;
}

Json local_get(const std::string& key) { return {{"op", "get"}, {"key", key}, {"local", true}}; }

TEST(PeerInput, WrongProtocolVersionGetsAnErrorThenTheConnectionCloses) {
  Cluster c(1, {{"n", 1}, {"r", 1}, {"w", 1}});
  const std::vector<std::pair<std::string, Json>> versions = {
      {"2", 2}, {"missing", Json()}, {"string", "1"}, {"float", 1.5}};
  for (const auto& [name, proto] : versions) {
    SCOPED_TRACE(name);
    Connection conn(c.port(0));
    Json m = peer_write("k-" + name, "from-the-future", 1);
    if (proto.is_null()) m.erase("proto");
    else m["proto"] = proto;
    m["id"] = 42;
    conn.send(m);
    const Json r = conn.reply();
    ASSERT_TRUE(r.is_object()) << "no reply";
    EXPECT_EQ(r["id"], 42);
    EXPECT_EQ(r["ok"], false);
    EXPECT_EQ(r["error"], "protocol_version");
    EXPECT_EQ(r["outcome"], "fail");
    EXPECT_NE(r["message"].get<std::string>().find("speaks 1"), std::string::npos) << r.dump();
    EXPECT_TRUE(conn.closed_by_peer()) << "connection left open after a version mismatch";
    // Nothing of the refused write was stored.
    EXPECT_EQ(c.call(0, local_get("k-" + name))["found"], false);
  }
}

TEST(PeerInput, UnknownPeerOpIsRefusedAndTheConnectionStaysUsable) {
  Cluster c(1, {{"n", 1}, {"r", 1}, {"w", 1}});
  Connection conn(c.port(0));
  conn.send({{"id", 1}, {"op", "peer.frobnicate"}, {"proto", kPeerProtocolVersion}, {"from", "n9"}, {"key", "k"}});
  Json r = conn.reply();
  EXPECT_EQ(r["id"], 1);
  EXPECT_EQ(r["error"], "unknown_op");
  EXPECT_NE(r["message"].get<std::string>().find("peer.frobnicate"), std::string::npos) << r.dump();
  conn.send({{"id", 2}, {"op", "nonsense"}});
  r = conn.reply();
  EXPECT_EQ(r["id"], 2);
  EXPECT_EQ(r["error"], "unknown_op");
  // Same connection, a valid peer message and a valid client request.
  Json ping = make_peer_request(PeerOp::kPing, "n9", "");
  ping["id"] = 3;
  conn.send(ping);
  r = conn.reply();
  EXPECT_EQ(r["id"], 3);
  EXPECT_EQ(r["ok"], true);
  conn.send(peer_write("kept", "fine", kPeerProtocolVersion));
  EXPECT_EQ(conn.reply()["ok"], true);
  EXPECT_EQ(c.call(0, local_get("kept"))["value"], "fine");
}

TEST(PeerInput, DeeplyNestedFrameIsRefusedAndTheNodeKeepsServing) {
  // Found while writing the client fuzzer: this frame used to overflow
  // the node's stack when it copied the id, killing it.
  Cluster c(1, {{"n", 1}, {"r", 1}, {"w", 1}});
  Connection conn(c.port(0));
  const std::string body = "{\"op\":\"ping\",\"id\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  const auto n = static_cast<std::uint32_t>(body.size());
  conn.send_raw(std::string{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                            static_cast<char>(n)} + body);
  const Json r = conn.reply();
  ASSERT_TRUE(r.is_object()) << "no reply: the node died";
  EXPECT_EQ(r["error"], "bad_frame") << r.dump();
  EXPECT_TRUE(conn.closed_by_peer());
  EXPECT_EQ(c.call(0, {{"op", "ping"}})["ok"], true);
  EXPECT_TRUE(c.call(0, {{"op", "put"}, {"key", "k"}, {"value", "v"}})["ok"]);
}

Sibling vv_sibling(const std::string& value, const std::string& node, std::uint64_t counter, VersionVector ctx) {
  Sibling s;
  s.value = value;
  s.stamp = {wall_clock_us(), 0, node};
  s.dot = {node, counter};
  s.context = std::move(ctx);
  return s;
}

TEST(PeerInput, MalformedVvPeerRecordsAreNormalisedOrRefusedAndCounted) {
  Cluster c(1, {{"n", 1}, {"r", 1}, {"w", 1}, {"versioning", "vv"}, {"write_mode", "one-phase"}});
  Connection conn(c.port(0));
  const std::uint64_t now = static_cast<std::uint64_t>(wall_clock_us());
  // A context cycle in one record: each sibling saw the other. Both are
  // superseded (they stay in the record's context), and counted.
  Record cycle;
  cycle.siblings = {vv_sibling("a", "n8", now - 10, {{"n9", now - 20}}),
                    vv_sibling("b", "n9", now - 20, {{"n8", now - 10}})};
  Json m = make_peer_request(PeerOp::kWrite, "n9", "cyc", &cycle);
  conn.send(m);
  Json r = conn.reply();
  EXPECT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(c.call(0, local_get("cyc"))["values"], Json::array()) << "a cycle's siblings stayed live";
  // Redelivered, it changes nothing; a write concurrent with both lives.
  conn.send(m);
  EXPECT_EQ(conn.reply()["ok"], true);
  ASSERT_TRUE(c.call(0, {{"op", "put"}, {"key", "cyc"}, {"value", "c"}})["ok"]);
  EXPECT_EQ(c.call(0, local_get("cyc"))["values"], Json::array({"c"}));
  // A counter no clock can have reached: refused, nothing stored.
  Record absurd;
  absurd.siblings = {vv_sibling("x", "n9", now - 5, {{"n1", std::uint64_t{1} << 60}})};
  conn.send(make_peer_request(PeerOp::kWrite, "n9", "absurd", &absurd));
  r = conn.reply();
  EXPECT_EQ(r["error"], "bad_request") << r.dump();
  EXPECT_NE(r.value("message", "").find("n1:"), std::string::npos) << r.dump();
  EXPECT_EQ(c.call(0, local_get("absurd"))["found"], false);
  const Json counters = c.call(0, {{"op", "status"}})["counters"];
  EXPECT_EQ(counters["malformed_siblings"], 4) << counters.dump();  // 2 per delivery of the cycle
  EXPECT_EQ(counters["bad_peer_records"], 1) << counters.dump();
}

}  // namespace
}  // namespace faultline::node::testing
