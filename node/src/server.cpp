#include "server.h"

#include <deque>

#include <boost/asio.hpp>

namespace faultline::node {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Limits limits, Server::Handler& handler, EventLog& log, NodeCounters& counters)
      : socket_(std::move(socket)), limits_(limits), handler_(handler), log_(log), counters_(counters) {}

  void start() { read_header(); }

  // Thread-safe: hops onto the socket's strand.
  void send(Json reply, bool close) {
    std::string frame;
    try {
      frame = encode_frame(reply);
    } catch (const std::exception& e) {
      frame = encode_frame(error_reply(reply.value("id", Json()), errc::kInternal, e.what()));
    }
    asio::post(socket_.get_executor(), [self = shared_from_this(), frame = std::move(frame), close]() mutable {
      if (self->closing_) return;
      self->outbox_.push_back(std::move(frame));
      if (close) self->close_after_write_ = true;
      if (!self->writing_) self->write_next();
    });
  }

 private:
  // Reads whatever arrived (often several pipelined frames) and decodes all
  // complete frames: one syscall and one handler per burst, not two per frame.
  void read_header() {
    socket_.async_read_some(asio::buffer(rbuf_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      if (ec) return self->shutdown();
      self->decoder_.feed(std::string_view(self->rbuf_.data(), n));
      for (;;) {
        std::optional<Json> message;
        try {
          message = self->decoder_.next();
        } catch (const ProtocolError& e) {
          // Oversize length or a body that is not an object: the stream can
          // no longer be trusted. One error reply, then close.
          self->counters_.bad_requests.fetch_add(1, std::memory_order_relaxed);
          boost::system::error_code ignored;
          const auto peer = self->socket_.remote_endpoint(ignored);
          self->log_.warn("bad_frame", {{"error", e.code}, {"message", e.what()},
                                        {"from", peer.address().to_string() + ":" + std::to_string(peer.port())}});
          self->send(error_reply(Json(), e.code, e.what()), true);
          return;
        }
        if (!message) break;
        try {
          self->handler_(std::move(*message), [self](Json reply, bool close) { self->send(std::move(reply), close); });
        } catch (const std::exception& e) {
          // A handler bug must cost one request, not the node.
          self->send(error_reply(Json(), errc::kInternal, e.what()), false);
        }
      }
      self->read_header();
    });
  }

  // Writes every queued reply in one gathered write.
  void write_next() {
    if (outbox_.empty()) {
      writing_ = false;
      if (close_after_write_) shutdown();
      return;
    }
    writing_ = true;
    in_flight_ = std::min<std::size_t>(outbox_.size(), 64);
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(in_flight_);
    for (std::size_t i = 0; i < in_flight_; ++i) buffers.push_back(asio::buffer(outbox_[i]));
    asio::async_write(socket_, buffers, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->shutdown();
      self->outbox_.erase(self->outbox_.begin(), self->outbox_.begin() + static_cast<std::ptrdiff_t>(self->in_flight_));
      self->write_next();
    });
  }

  void shutdown() {
    closing_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;  // its executor is a strand: every handler here is serialized
  Limits limits_;
  Server::Handler& handler_;
  EventLog& log_;
  NodeCounters& counters_;
  std::array<char, 65536> rbuf_{};
  FrameDecoder decoder_{limits_.max_frame_bytes};
  std::deque<std::string> outbox_;
  std::size_t in_flight_ = 0;  // frames at the head of outbox_ being written
  bool writing_ = false;
  bool close_after_write_ = false;
  bool closing_ = false;
};

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::io_context& io, Limits limits, Handler handler, EventLog& log, NodeCounters& counters)
      : io(io), acceptor(io), limits(limits), handler(std::move(handler)), log(log), counters(counters) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) {
        boost::system::error_code ignored;
        s.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(s), self->limits, self->handler, self->log, self->counters)->start();
      } else {
        self->log.warn("accept_failed", {{"error", ec.message()}});
      }
      self->accept();
    });
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  Limits limits;
  Handler handler;
  EventLog& log;
  NodeCounters& counters;
};

Server::Server(asio::io_context& io, const std::string& host, std::uint16_t port, Limits limits, Handler handler,
               EventLog& log, NodeCounters& counters)
    : impl_(std::make_shared<Impl>(io, limits, std::move(handler), log, counters)) {
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) throw std::runtime_error("cannot resolve listen address '" + host + "': " + ec.message());
  const tcp::endpoint ep = *results.begin();
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
}

Server::~Server() { stop(); }

std::uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::start() { impl_->accept(); }

void Server::stop() {
  asio::post(impl_->io, [impl = impl_] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
  });
}

}  // namespace faultline::node
