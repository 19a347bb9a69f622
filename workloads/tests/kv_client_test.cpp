// The kv client against a scripted fake node on loopback: checks that each
// way a call can end maps to the right history completion.
#include "faultline/workloads/kv_client.h"

#include <sstream>
#include <thread>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

namespace faultline::workloads {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;
using history::OpType;

// Serves one connection: for each request frame, `script` returns the reply
// (or null to stay silent).
class FakeNode {
 public:
  explicit FakeNode(std::function<Json(const Json&)> script)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), script_(std::move(script)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeNode() {
    // Unblock a pending accept(); a served connection ends when the client
    // (destroyed first) closes it.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    thread_.join();
    boost::system::error_code ec;
    acceptor_.close(ec);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

 private:
  void serve() {
    boost::system::error_code ec;
    tcp::socket s(io_);
    acceptor_.accept(s, ec);
    if (ec) return;
    for (;;) {
      unsigned char h[4];
      asio::read(s, asio::buffer(h), ec);
      if (ec) return;
      std::string body((std::size_t{h[0]} << 24) | (h[1] << 16) | (h[2] << 8) | h[3], '\0');
      asio::read(s, asio::buffer(body), ec);
      if (ec) return;
      Json req = Json::parse(body);
      Json reply = script_(req);
      if (reply.is_null()) continue;
      reply["id"] = req["id"];
      std::string out = reply.dump();
      const auto n = static_cast<std::uint32_t>(out.size());
      std::string frame = {char(n >> 24), char((n >> 16) & 0xff), char((n >> 8) & 0xff), char(n & 0xff)};
      asio::write(s, asio::buffer(frame + out), ec);
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::function<Json(const Json&)> script_;
  std::thread thread_;
};

TEST(KvClient, OkRepliesCarryValuesAndContext) {
  FakeNode node([](const Json& req) {
    EXPECT_EQ(req["op"], "get");
    EXPECT_EQ(req["consistency"], "ALL");
    return Json{{"ok", true}, {"values", {"a", "b"}}, {"context", {{"n1", 2}}}};
  });
  KvClient c(node.address(), std::chrono::milliseconds(2000));
  KvOptions o;
  o.consistency = "ALL";
  auto r = c.get("k", o);
  EXPECT_EQ(r.type, OpType::kOk);
  EXPECT_EQ(r.values(), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(r.value().has_value());
  EXPECT_EQ(r.context(), (Json{{"n1", 2}}));
}

TEST(KvClient, TheNodesOutcomeIsBelieved) {
  FakeNode node([](const Json& req) {
    if (req["key"] == "maybe") return Json{{"ok", false}, {"error", "timeout"}, {"outcome", "info"}};
    return Json{{"ok", false}, {"error", "unavailable"}, {"outcome", "fail"}};
  });
  KvClient c(node.address(), std::chrono::milliseconds(2000));
  auto info = c.put("maybe", "v");
  EXPECT_EQ(info.type, OpType::kInfo);
  EXPECT_EQ(info.error, "timeout");
  auto fail = c.put("no", "v");
  EXPECT_EQ(fail.type, OpType::kFail);
  EXPECT_EQ(fail.error, "unavailable");
}

TEST(KvClient, SilenceIsInfoForWritesAndFailForReads) {
  FakeNode node([](const Json& req) { return req["op"] == "ping" ? Json{{"ok", true}} : Json(); });
  KvClient c(node.address(), std::chrono::milliseconds(200));
  EXPECT_EQ(c.put("k", "v").type, OpType::kInfo);
  // The connection was dropped after the timeout; the next call reconnects,
  // but the fake serves one connection only, so it times out again.
  EXPECT_EQ(c.get("k").type, OpType::kFail);
}

TEST(KvClient, RefusedConnectionIsFail) {
  std::uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }  // closed: nothing listens there now
  KvClient c("127.0.0.1:" + std::to_string(port), std::chrono::milliseconds(500));
  auto r = c.put("k", "v");
  EXPECT_EQ(r.type, OpType::kFail);
  EXPECT_EQ(r.error, "connect");
}

TEST(KvClient, BadAddressThrows) { EXPECT_THROW(KvClient("nohostport"), std::invalid_argument); }

TEST(KvCommand, BadArgumentsExit254) {
  std::ostringstream out, err;
  EXPECT_EQ(kv_command({"get", "k"}, out, err), 254);
  EXPECT_NE(err.str().find("--node"), std::string::npos);
  EXPECT_EQ(kv_command({"--node", "127.0.0.1:1", "frob"}, out, err), 254);
  EXPECT_EQ(kv_command({"--node", "127.0.0.1:1", "put", "k"}, out, err), 254);
}

TEST(KvCommand, PrintsTheReplyAndMapsTheExitCode) {
  FakeNode node([](const Json&) { return Json{{"ok", true}, {"values", {"v"}}}; });
  std::ostringstream out, err;
  EXPECT_EQ(kv_command({"--node", node.address(), "get", "k"}, out, err), 0);
  auto shown = Json::parse(out.str());
  EXPECT_EQ(shown["outcome"], "ok");
  EXPECT_EQ(shown["values"][0], "v");
}

}  // namespace
}  // namespace faultline::workloads
