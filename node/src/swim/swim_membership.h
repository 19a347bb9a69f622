// SwimMembership: the Membership seam backed by SWIM/Lifeguard
// (swim_protocol.h) or by the centralized heartbeat detector
// (central_heartbeat.h), over UDP on the node's own port number (UDP and
// TCP port spaces are separate, so the data path's TCP listener and this
// share it).
//
// The protocol core is pure; this class is its driver: a UDP socket, one
// asio timer armed at the core's next deadline, a mutex around the core
// (the node's io threads all reach it), the steady clock as `now`.
// Push-pull syncs go over TCP (swim_stream.h): one frame on the peer's
// node port through this class's own PeerClient, answered on the same
// connection with the peer's view, so a view of thousands of members syncs
// in one round trip. A view past kMaxPushPullBytes is not sent and counted
// (push_pull_too_large); failures and bad input are counted, never thrown.
//
// The ring stays the configured member list; liveness comes from the
// detector, so a dead member leaves the coordinators' live set through
// Membership::usable(). Data-path failures are not taken as evidence: the
// detector alone decides (they are counted in status).
#ifndef FAULTLINE_NODE_SWIM_MEMBERSHIP_H_
#define FAULTLINE_NODE_SWIM_MEMBERSHIP_H_

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio.hpp>

#include "swim/central_heartbeat.h"
#include "faultline/node/config.h"
#include "event_log.h"
#include "swim/membership.h"
#include "replication/peer_client.h"
#include "swim/swim_protocol.h"

namespace faultline::node {

class SwimMembership final : public Membership, private swim::SwimEnv {
 public:
  // Binds the UDP socket (throws std::runtime_error naming the address if it cannot).
  SwimMembership(boost::asio::io_context& io, const NodeConfig& config, EventLog& log);
  ~SwimMembership() override;

  std::vector<Member> members() const override { return members_; }
  Liveness state(const std::string& id) const override;
  void subscribe(Listener listener) override;
  void report_failure(const std::string& id) override;
  void report_success(const std::string& id) override;
  // Since the detector last saw it alive (suspect or dead since).
  std::optional<std::chrono::milliseconds> down_for(const std::string& id) const override;
  void start() override;
  void stop() override;
  nlohmann::json describe() const override;
  nlohmann::json on_stream_message(const nlohmann::json& message) override;

 private:
  using Clock = std::chrono::steady_clock;
  swim::Time now() const;
  void receive_loop();
  void arm_timer(std::unique_lock<std::mutex>& lock);
  void notify(std::unique_lock<std::mutex>& lock);
  void send(swim::MemberIdx to, std::string bytes) override;
  void send_stream(swim::MemberIdx to, std::string bytes) override;
  void on_change(swim::MemberIdx member, swim::Status now, swim::Incarnation inc, swim::Time at) override;

  const NodeConfig& config_;
  EventLog& log_;
  const std::vector<Member> members_;
  const Clock::time_point start_ = Clock::now();
  boost::asio::ip::udp::socket socket_;
  boost::asio::steady_timer timer_;
  std::array<char, 65536> buf_{};
  boost::asio::ip::udp::endpoint sender_;

  mutable std::mutex mu_;
  std::shared_ptr<swim::Names> names_;
  swim::MemberIdx self_ = 0;
  std::unique_ptr<swim::SwimNode> swim_;
  std::unique_ptr<swim::CentralNode> central_;
  std::map<std::string, boost::asio::ip::udp::endpoint> endpoints_;
  std::vector<Listener> listeners_;
  std::map<std::string, swim::Time> down_since_;  // members not alive: since when (on_change)
  std::vector<std::pair<std::string, Liveness>> pending_;  // notifications to deliver outside the lock
  swim::Time armed_ = -1;
  bool stopped_ = false;
  std::uint64_t send_errors_ = 0, push_pull_too_large_ = 0;
  // Push-pull over TCP: calls made, answered with a view, failed (connect,
  // timeout, error reply), skipped (the member is not in the config, so it
  // has no known TCP address), requests served, bad requests or replies,
  // and the largest packet sent or received.
  std::uint64_t pp_sent_ = 0, pp_ok_ = 0, pp_failed_ = 0, pp_unconfigured_ = 0, pp_served_ = 0, pp_bad_ = 0;
  std::size_t pp_max_bytes_ = 0;
  // While on_stream_message runs the core, push-pulls it emits to the caller
  // land here: the last one (the reply) goes back on the same connection.
  std::optional<swim::MemberIdx> capture_to_;
  std::vector<std::string> captured_;
  std::unique_ptr<PeerClient> peers_;
  std::atomic<std::uint64_t> data_path_failures_{0}, data_path_successes_{0};
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_SWIM_MEMBERSHIP_H_
