#include "faultline/workloads/kv_client.h"
#include "host_port.h"
#include "io_deadline.h"

#include <array>
#include <ostream>
#include <stdexcept>
#include <tuple>

#include <boost/asio.hpp>

namespace faultline::workloads {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;
using history::OpType;

namespace {

// The node's frame limit default; a larger reply means a confused peer.
constexpr std::uint32_t kMaxNodeReplyBytes = 64u << 20;

std::string encode_frame(const Json& j) {
  const std::string body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  const auto n = static_cast<std::uint32_t>(body.size());
  std::string out = {static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
                     static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
  return out + body;
}


}  // namespace

std::vector<std::string> KvResult::values() const {
  std::vector<std::string> out;
  if (reply.is_object() && reply.contains("values") && reply["values"].is_array())
    for (const auto& v : reply["values"])
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::optional<std::string> KvResult::value() const {
  auto v = values();
  if (v.size() == 1) return v[0];
  return std::nullopt;
}

Json KvResult::context() const { return reply.is_object() ? reply.value("context", Json()) : Json(); }

struct KvClient::Impl {
  asio::io_context io;
  tcp::socket socket{io};
  std::string host;
  std::string port;
  std::chrono::milliseconds timeout;
  std::uint64_t next_id = 0;

  void close() {
    boost::system::error_code ignored;
    socket.close(ignored);
  }

  // See run_until_done (io_deadline.h).
  bool run(const bool& done, std::chrono::steady_clock::time_point deadline) {
    return run_until_done(io, done, deadline, [this] { close(); });
  }
};

KvClient::KvClient(const std::string& address, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()), address_(address) {
  std::tie(impl_->host, impl_->port) = split_host_port(address, "node address");
  impl_->timeout = timeout;
}

KvClient::~KvClient() = default;

void KvClient::close() { impl_->close(); }

KvResult KvClient::call(Json request, bool mutating) {
  auto& im = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + im.timeout;
  const std::uint64_t id = ++im.next_id;
  request["id"] = id;

  if (!im.socket.is_open()) {
    boost::system::error_code ec;
    tcp::resolver resolver(im.io);
    auto endpoints = resolver.resolve(im.host, im.port, ec);
    if (ec) return KvResult::client_error(OpType::kFail, "connect", "cannot resolve " + address_ + ": " + ec.message());
    bool done = false;
    asio::async_connect(im.socket, endpoints, [&](boost::system::error_code e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    if (!im.run(done, deadline))
      return KvResult::client_error(OpType::kFail, "connect", "connect to " + address_ + " timed out");
    if (ec) {
      im.close();
      return KvResult::client_error(OpType::kFail, "connect", "connect to " + address_ + ": " + ec.message());
    }
    im.socket.set_option(tcp::no_delay(true), ec);
  }

  // From here on the request may reach the node.
  const OpType lost = mutating ? OpType::kInfo : OpType::kFail;
  const std::string frame = encode_frame(request);
  std::array<unsigned char, 4> header{};
  std::string body;
  boost::system::error_code ec;
  bool done = false;
  bool too_large = false;
  asio::async_write(im.socket, asio::buffer(frame), [&](boost::system::error_code e, std::size_t) {
    if (e) {
      ec = e;
      done = true;
      return;
    }
    asio::async_read(im.socket, asio::buffer(header), [&](boost::system::error_code e2, std::size_t) {
      if (e2) {
        ec = e2;
        done = true;
        return;
      }
      const std::uint32_t n = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                              (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
      if (n > kMaxNodeReplyBytes) {
        too_large = true;
        done = true;
        return;
      }
      body.resize(n);
      asio::async_read(im.socket, asio::buffer(body), [&](boost::system::error_code e3, std::size_t) {
        ec = e3;
        done = true;
      });
    });
  });
  if (!im.run(done, deadline))
    return KvResult::client_error(lost, "timeout", "no reply from " + address_ + " within " + std::to_string(im.timeout.count()) + " ms");
  if (ec || too_large) {
    im.close();
    return KvResult::client_error(lost, "io", ec ? ec.message() : "oversize reply");
  }
  KvResult r;
  r.reply = Json::parse(body, nullptr, false);
  if (!r.reply.is_object()) {
    im.close();
    return KvResult::client_error(lost, "bad_reply", "node sent a reply that is not a JSON object");
  }
  if (r.reply.value("ok", false)) {
    r.type = OpType::kOk;
    return r;
  }
  r.error = r.reply.value("error", std::string("error"));
  r.message = r.reply.value("message", std::string());
  // The node says whether a failed request may have taken effect; without
  // that word (a connection-level refusal) it did nothing.
  r.type = r.reply.value("outcome", std::string("fail")) == "info" ? OpType::kInfo : OpType::kFail;
  if (r.reply.contains("id") && r.reply["id"] != Json(id)) im.close();  // out of step: start afresh
  return r;
}

namespace {
Json with_options(Json request, const KvOptions& o) {
  if (!o.consistency.is_null()) request["consistency"] = o.consistency;
  if (!o.context.is_null()) request["context"] = o.context;
  if (o.local) request["local"] = true;
  return request;
}
}  // namespace

KvResult KvClient::get(const std::string& key, const KvOptions& o) {
  return call(with_options({{"op", "get"}, {"key", key}}, o), false);
}
KvResult KvClient::put(const std::string& key, const std::string& value, const KvOptions& o) {
  return call(with_options({{"op", "put"}, {"key", key}, {"value", value}}, o), true);
}
KvResult KvClient::del(const std::string& key, const KvOptions& o) {
  return call(with_options({{"op", "delete"}, {"key", key}}, o), true);
}
KvResult KvClient::status() { return call({{"op", "status"}}, false); }
KvResult KvClient::ping() { return call({{"op", "ping"}}, false); }

namespace {
constexpr const char* kKvUsage =
    "usage: faultline kv --node HOST:PORT [--consistency LEVEL] [--timeout-ms N] [--context JSON] [--local]\n"
    "                    get KEY | put KEY VALUE | delete KEY | status | ping\n";
}  // namespace

int kv_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      out << kKvUsage;
      return 0;
    }
  }
  std::string node;
  KvOptions opts;
  long timeout_ms = 5000;
  std::vector<std::string> positional;
  try {
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto need = [&]() -> const std::string& {
        if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
        return args[++i];
      };
      if (a == "--node") node = need();
      else if (a == "--consistency") opts.consistency = need();
      else if (a == "--timeout-ms") {
        const std::string& v = need();
        std::size_t used = 0;
        try {
          timeout_ms = std::stol(v, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != v.size() || v.empty()) throw std::invalid_argument("--timeout-ms: '" + v + "' is not a number");
      }
      else if (a == "--context") {
        opts.context = Json::parse(need(), nullptr, false);
        if (opts.context.is_discarded()) throw std::invalid_argument("--context is not JSON");
      } else if (a == "--local") opts.local = true;
      else if (a.rfind("--", 0) == 0) throw std::invalid_argument("unknown option " + a);
      else positional.push_back(a);
    }
    if (node.empty()) throw std::invalid_argument("--node HOST:PORT is required");
    if (positional.empty()) throw std::invalid_argument("expected get|put|delete|status|ping");
    const std::string& cmd = positional[0];
    const std::size_t want = cmd == "put" ? 3 : (cmd == "get" || cmd == "delete") ? 2 : 1;
    if (cmd != "get" && cmd != "put" && cmd != "delete" && cmd != "status" && cmd != "ping")
      throw std::invalid_argument("unknown command '" + cmd + "'");
    if (positional.size() != want) throw std::invalid_argument(cmd + ": wrong number of arguments");
    if (timeout_ms <= 0) throw std::invalid_argument("--timeout-ms must be positive");
    KvClient client(node, std::chrono::milliseconds(timeout_ms));
    KvResult r = cmd == "get"      ? client.get(positional[1], opts)
                 : cmd == "put"    ? client.put(positional[1], positional[2], opts)
                 : cmd == "delete" ? client.del(positional[1], opts)
                 : cmd == "status" ? client.status()
                                   : client.ping();
    Json shown = r.reply.is_null() ? Json{{"ok", false}, {"error", r.error}, {"message", r.message}} : r.reply;
    shown["outcome"] = history::to_string(r.type);
    out << shown.dump(2) << "\n";
    return r.type == OpType::kOk ? 0 : r.type == OpType::kFail ? 1 : 2;
  } catch (const std::exception& e) {
    err << "faultline kv: " << e.what() << "\n" << kKvUsage;
    return 254;
  }
}

}  // namespace faultline::workloads
