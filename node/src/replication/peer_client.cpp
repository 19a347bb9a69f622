#include "replication/peer_client.h"

#include <deque>

#include <boost/asio.hpp>

namespace faultline::node {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;

namespace {
// A connect that neither succeeds nor fails (packets dropped by a partition)
// would otherwise hang for the kernel's SYN retry time, minutes.
constexpr auto kConnectTimeout = std::chrono::milliseconds(1000);
// Consecutive call timeouts after which the connection is replaced, so a
// connection wedged by a partition does not outlive the partition.
constexpr int kTimeoutsBeforeReset = 3;
}  // namespace

class PeerClient::Channel : public std::enable_shared_from_this<Channel> {
 public:
  Channel(asio::io_context& io, std::string host, std::uint16_t port, Limits limits)
      : strand_(asio::make_strand(io)),
        socket_(strand_),
        connect_timer_(strand_),
        host_(std::move(host)),
        port_(port),
        limits_(limits) {}

  void call(Json request, std::chrono::milliseconds timeout, Callback cb) {
    asio::post(strand_, [self = shared_from_this(), request = std::move(request), timeout, cb = std::move(cb)]() mutable {
      self->start_call(std::move(request), timeout, std::move(cb));
    });
  }

  void close() {
    asio::post(strand_, [self = shared_from_this()] { self->reset("connection closed"); });
  }

 private:
  enum class State { kIdle, kConnecting, kConnected };
  struct Pending {
    Callback cb;
    std::shared_ptr<asio::steady_timer> timer;
    bool written = false;
  };
  struct Outgoing {
    std::uint64_t id;
    std::string frame;
  };

  void start_call(Json request, std::chrono::milliseconds timeout, Callback cb) {
    const std::uint64_t id = ++next_id_;
    request["id"] = id;
    std::string frame;
    try {
      frame = encode_frame(request);
    } catch (const std::exception& e) {
      cb(PeerResult{std::string("encode: ") + e.what(), Json(), false});
      return;
    }
    auto timer = std::make_shared<asio::steady_timer>(strand_, timeout);
    timer->async_wait([self = shared_from_this(), id](boost::system::error_code ec) {
      if (!ec) self->expire(id);
    });
    pending_[id] = Pending{std::move(cb), std::move(timer), false};
    outbox_.push_back({id, std::move(frame)});
    if (state_ == State::kIdle) connect();
    else if (state_ == State::kConnected && !writing_) write_next(generation_);
  }

  void connect() {
    state_ = State::kConnecting;
    const std::uint64_t gen = ++generation_;
    socket_ = tcp::socket(strand_);
    decoder_ = FrameDecoder(limits_.max_frame_bytes);  // nothing carries over from an old connection
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(host_, ec);
    if (ec) {
      // Names are resolved on every connect (cheap on loopback, and a name's
      // address may change between restarts).
      tcp::resolver resolver(strand_);
      auto results = resolver.resolve(host_, std::to_string(port_), ec);
      if (ec || results.empty()) {
        reset("cannot resolve '" + host_ + "': " + ec.message());
        return;
      }
      endpoint_ = *results.begin();
    } else {
      endpoint_ = tcp::endpoint(addr, port_);
    }
    connect_timer_.expires_after(kConnectTimeout);
    connect_timer_.async_wait([self = shared_from_this(), gen](boost::system::error_code e) {
      if (!e && gen == self->generation_ && self->state_ == State::kConnecting) self->reset("connect timed out");
    });
    socket_.async_connect(endpoint_, [self = shared_from_this(), gen](boost::system::error_code e) {
      if (gen != self->generation_) return;
      self->connect_timer_.cancel();
      if (e) {
        self->reset("connect: " + e.message());
        return;
      }
      boost::system::error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      self->state_ = State::kConnected;
      self->read_header(gen);
      self->write_next(gen);
    });
  }

  // Every queued call goes out in one gathered write.
  void write_next(std::uint64_t gen) {
    if (gen != generation_ || state_ != State::kConnected) return;
    if (outbox_.empty()) {
      writing_ = false;
      return;
    }
    writing_ = true;
    in_flight_ = std::min<std::size_t>(outbox_.size(), 64);
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(in_flight_);
    for (std::size_t i = 0; i < in_flight_; ++i) buffers.push_back(asio::buffer(outbox_[i].frame));
    asio::async_write(socket_, buffers, [self = shared_from_this(), gen](boost::system::error_code e, std::size_t) {
      if (gen != self->generation_) return;
      if (e) {
        self->reset("write: " + e.message());
        return;
      }
      for (std::size_t i = 0; i < self->in_flight_; ++i) {
        auto it = self->pending_.find(self->outbox_.front().id);
        if (it != self->pending_.end()) it->second.written = true;
        self->outbox_.pop_front();
      }
      self->write_next(gen);
    });
  }

  // Decodes every complete reply in what arrived.
  void read_header(std::uint64_t gen) {
    socket_.async_read_some(asio::buffer(rbuf_), [self = shared_from_this(), gen](boost::system::error_code e, std::size_t n) {
      if (gen != self->generation_) return;
      if (e) {
        self->reset("read: " + e.message());
        return;
      }
      self->decoder_.feed(std::string_view(self->rbuf_.data(), n));
      for (;;) {
        std::optional<Json> reply;
        try {
          reply = self->decoder_.next();
        } catch (const ProtocolError& pe) {
          self->reset(std::string("peer sent a bad frame: ") + pe.what());
          return;
        }
        if (!reply) break;
        self->timeouts_in_a_row_ = 0;
        auto id_it = reply->find("id");
        if (id_it != reply->end() && id_it->is_number_unsigned()) {
          auto it = self->pending_.find(id_it->get<std::uint64_t>());
          if (it != self->pending_.end()) {
            Pending p = std::move(it->second);
            self->pending_.erase(it);
            p.timer->cancel();
            p.cb(PeerResult{std::nullopt, std::move(*reply), true});
            // The callback may have reset this channel (it runs user code).
            if (gen != self->generation_) return;
          }
        }
        // A reply with no known id is late (its call timed out) or a
        // connection-level error from the peer; either way it is dropped, and
        // an error reply that closes the connection shows up as a read error.
      }
      self->read_header(gen);
    });
  }

  void expire(std::uint64_t id) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Pending p = std::move(it->second);
    pending_.erase(it);
    // Not written yet means it may still be written later: count it as
    // possibly delivered, which is the truthful answer either way.
    p.cb(PeerResult{std::string("timeout"), Json(), true});
    if (++timeouts_in_a_row_ >= kTimeoutsBeforeReset && state_ != State::kIdle) reset("too many timeouts");
  }

  void reset(const std::string& reason) {
    ++generation_;
    boost::system::error_code ignored;
    socket_.close(ignored);
    connect_timer_.cancel();
    state_ = State::kIdle;
    writing_ = false;
    timeouts_in_a_row_ = 0;
    outbox_.clear();
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, p] : pending) {
      p.timer->cancel();
      p.cb(PeerResult{reason, Json(), p.written});
    }
  }

  asio::strand<asio::io_context::executor_type> strand_;
  tcp::socket socket_;
  asio::steady_timer connect_timer_;
  std::string host_;
  std::uint16_t port_;
  Limits limits_;
  tcp::endpoint endpoint_;

  State state_ = State::kIdle;
  std::uint64_t generation_ = 0;  // bumps on every (re)connect; stale handlers check it
  std::uint64_t next_id_ = 0;
  bool writing_ = false;
  int timeouts_in_a_row_ = 0;
  std::map<std::uint64_t, Pending> pending_;
  std::deque<Outgoing> outbox_;
  std::size_t in_flight_ = 0;  // calls at the head of outbox_ being written
  std::array<char, 65536> rbuf_{};
  FrameDecoder decoder_{limits_.max_frame_bytes};
};

PeerClient::PeerClient(asio::io_context& io, const std::vector<Member>& members, Limits limits) {
  for (const auto& m : members) channels_[m.id] = std::make_shared<Channel>(io, m.host, m.port, limits);
}

PeerClient::~PeerClient() = default;

void PeerClient::call(const std::string& peer, Json request, std::chrono::milliseconds timeout, Callback cb) {
  auto it = channels_.find(peer);
  if (it == channels_.end()) {
    cb(PeerResult{"unknown peer '" + peer + "'", Json(), false});
    return;
  }
  it->second->call(std::move(request), timeout, std::move(cb));
}

void PeerClient::close_all() {
  for (auto& [id, ch] : channels_) ch->close();
}

}  // namespace faultline::node
