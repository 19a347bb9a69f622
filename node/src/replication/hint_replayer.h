// Hands hints held by this node to their owners.
//
// Every hint_replay_interval_ms (and at once when membership says an owner
// came back) it drops hints older than hint_window_ms, then sends up to the
// round's budget of hints (hint_replay_per_sec scaled to the interval, over
// all owners) to their owners as ordinary peer.write calls. A hint is deleted
// only after its owner acked the write, so a crash or a lost reply replays
// it again: replay is idempotent because storage merges.
//
// An owner considered dead gets one hint per round: the replay is the probe
// that notices it is back. Members that are dead and have no hints get a
// peer.ping each round, so a static membership recovers without traffic.
#ifndef FAULTLINE_NODE_HINT_REPLAYER_H_
#define FAULTLINE_NODE_HINT_REPLAYER_H_

#include <atomic>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "replication/coordinator.h"

namespace faultline::node {

class HintReplayer {
 public:
  HintReplayer(boost::asio::io_context& io, const NodeConfig& config, Storage& storage, Membership& membership,
               Coordinator& coordinator, EventLog& log, NodeCounters& counters);
  void start();
  void stop();
  // Runs a round soon (e.g. an owner was seen alive).
  void kick();

 private:
  void schedule(std::chrono::milliseconds delay);
  void round();
  void round_done();

  boost::asio::io_context& io_;
  const NodeConfig& config_;
  Storage& storage_;
  Membership& membership_;
  Coordinator& coordinator_;
  EventLog& log_;
  NodeCounters& counters_;
  // Timer and rounds live on one strand: kick() comes from any thread.
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  bool busy_ = false;  // a round is in flight (strand only)
  std::atomic<bool> stopped_{false};
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_HINT_REPLAYER_H_
