// TCP front door of a node: accepts connections and turns the byte stream
// into frames (protocol.h). Clients and peers share the port; the handler
// tells them apart by "op".
//
// Requests on one connection are handled concurrently (a client may
// pipeline; replies carry the request's "id"), and replies are written in
// completion order, one frame at a time.
//
// Bad input never crashes the node: an oversize length or a body that is not
// a JSON object gets one error reply and the connection is closed (the
// stream can no longer be trusted); a well-framed but invalid request gets
// an error reply and the connection stays open.
#ifndef FAULTLINE_NODE_SERVER_H_
#define FAULTLINE_NODE_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "counters.h"
#include "event_log.h"
#include "faultline/node/protocol.h"

namespace faultline::node {

class Server {
 public:
  // `reply` may be called from any thread, exactly once per message; with
  // close=true the connection is closed after the reply is written.
  using Reply = std::function<void(nlohmann::json reply, bool close)>;
  using Handler = std::function<void(nlohmann::json message, Reply reply)>;

  // Binds and listens at once (throws std::runtime_error if it cannot), so a
  // port clash is reported at start-up. Port 0 picks an ephemeral port.
  Server(boost::asio::io_context& io, const std::string& host, std::uint16_t port, Limits limits, Handler handler,
         EventLog& log, NodeCounters& counters);
  ~Server();

  std::uint16_t port() const;
  void start();
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_SERVER_H_
