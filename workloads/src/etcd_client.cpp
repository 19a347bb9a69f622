#include "faultline/workloads/etcd_client.h"
#include "host_port.h"
#include "io_deadline.h"

#include <array>
#include <stdexcept>
#include <tuple>

#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace faultline::workloads {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;
using history::OpType;

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// etcd answers are small; a huge one means we are not talking to etcd.
constexpr std::uint64_t kMaxEtcdReplyBytes = 64u << 20;


// grpc-gateway renders int64 as a JSON string.
std::int64_t as_int64(const Json& j) {
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_string()) {
    try {
      return std::stoll(j.get<std::string>());
    } catch (const std::exception&) {
    }
  }
  return 0;
}

}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{static_cast<unsigned char>(in[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8) |
                            std::uint32_t{static_cast<unsigned char>(in[i + 2])};
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const std::size_t rest = in.size() - i; rest > 0) {
    std::uint32_t n = std::uint32_t{static_cast<unsigned char>(in[i])} << 16;
    if (rest == 2) n |= std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) throw std::invalid_argument("base64: length " + std::to_string(in.size()) + " is not a multiple of 4");
  std::array<int, 256> value{};
  value.fill(-1);
  for (int k = 0; k < 64; ++k) value[static_cast<unsigned char>(kAlphabet[k])] = k;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    const int pad = last ? (in[i + 3] == '=' ? (in[i + 2] == '=' ? 2 : 1) : 0) : 0;
    std::uint32_t n = 0;
    for (int k = 0; k < 4; ++k) {
      const unsigned char c = static_cast<unsigned char>(in[i + static_cast<std::size_t>(k)]);
      int v = 0;
      if (k >= 4 - pad) {
        if (c != '=') throw std::invalid_argument("base64: bad padding at offset " + std::to_string(i + k));
      } else {
        v = value[c];
        if (v < 0) throw std::invalid_argument("base64: bad character at offset " + std::to_string(i + k));
      }
      n = (n << 6) | static_cast<std::uint32_t>(v);
    }
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

struct EtcdClient::Impl {
  asio::io_context io;
  tcp::socket socket{io};
  boost::beast::flat_buffer buffer;
  std::string host;
  std::string port;
  std::chrono::milliseconds timeout;

  void close() {
    boost::system::error_code ignored;
    socket.close(ignored);
    buffer.clear();
  }

  // See run_until_done (io_deadline.h).
  bool run(const bool& done, std::chrono::steady_clock::time_point deadline) {
    return run_until_done(io, done, deadline, [this] { close(); });
  }

  // One POST of a JSON body; the answer's status and parsed JSON body, or an
  // error result whose type depends on `mutating`.
  KvResult post(const std::string& address, const std::string& target, const Json& body, bool mutating) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    boost::system::error_code ec;
    if (!socket.is_open()) {
      tcp::resolver resolver(io);
      auto endpoints = resolver.resolve(host, port, ec);
      if (ec) return KvResult::client_error(OpType::kFail, "connect", "cannot resolve " + address + ": " + ec.message());
      bool done = false;
      asio::async_connect(socket, endpoints, [&](boost::system::error_code e, const tcp::endpoint&) {
        ec = e;
        done = true;
      });
      if (!run(done, deadline)) return KvResult::client_error(OpType::kFail, "connect", "connect to " + address + " timed out");
      if (ec) {
        close();
        return KvResult::client_error(OpType::kFail, "connect", "connect to " + address + ": " + ec.message());
      }
      socket.set_option(tcp::no_delay(true), ec);
    }

    // From here on the request may reach etcd.
    const OpType lost = mutating ? OpType::kInfo : OpType::kFail;
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, host + ":" + port);
    req.set(http::field::content_type, "application/json");
    req.keep_alive(true);
    req.body() = body.dump();
    req.prepare_payload();
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxEtcdReplyBytes);
    bool done = false;
    http::async_write(socket, req, [&](boost::system::error_code e, std::size_t) {
      if (e) {
        ec = e;
        done = true;
        return;
      }
      http::async_read(socket, buffer, parser, [&](boost::system::error_code e2, std::size_t) {
        ec = e2;
        done = true;
      });
    });
    if (!run(done, deadline))
      return KvResult::client_error(lost, "timeout",
                          "no answer from " + address + " within " + std::to_string(timeout.count()) + " ms");
    if (ec) {
      close();
      return KvResult::client_error(lost, "io", address + ": " + ec.message());
    }
    auto res = parser.release();
    if (!res.keep_alive()) close();
    KvResult r;
    Json reply = Json::parse(res.body(), nullptr, false);
    if (!reply.is_object()) {
      close();
      return KvResult::client_error(lost, "bad_reply",
                          address + " answered HTTP " + std::to_string(res.result_int()) + " without a JSON object");
    }
    if (res.result() != http::status::ok) {
      // 400 is the gateway refusing the request before it reaches Raft.
      r.type = res.result() == http::status::bad_request ? OpType::kFail : lost;
      r.error = "http_" + std::to_string(res.result_int());
      r.message = reply.value("message", reply.value("error", std::string()));
      r.reply = std::move(reply);
      return r;
    }
    r.type = OpType::kOk;
    r.reply = {{"revision", as_int64(reply.value("header", Json::object()).value("revision", Json()))},
               {"values", Json::array()},
               {"etcd", std::move(reply)}};
    return r;
  }
};

EtcdClient::EtcdClient(const std::string& address, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()), address_(address) {
  std::tie(impl_->host, impl_->port) = split_host_port(address, "etcd address");
  impl_->timeout = timeout;
}

EtcdClient::~EtcdClient() = default;

void EtcdClient::close() { impl_->close(); }

KvResult EtcdClient::put(const std::string& key, const std::string& value) {
  return impl_->post(address_, "/v3/kv/put", {{"key", base64_encode(key)}, {"value", base64_encode(value)}}, true);
}

KvResult EtcdClient::get(const std::string& key, bool serializable) {
  Json body = {{"key", base64_encode(key)}};
  if (serializable) body["serializable"] = true;
  KvResult r = impl_->post(address_, "/v3/kv/range", body, false);
  if (!r.ok()) return r;
  const Json& kvs = r.reply["etcd"].value("kvs", Json::array());
  try {
    for (const auto& kv : kvs) r.reply["values"].push_back(base64_decode(kv.value("value", std::string())));
  } catch (const std::invalid_argument& e) {
    return KvResult::client_error(OpType::kFail, "bad_reply", address_ + ": value in range answer: " + e.what());
  }
  return r;
}

}  // namespace faultline::workloads
