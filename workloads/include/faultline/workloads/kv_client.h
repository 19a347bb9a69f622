// Client for faultline-node's client protocol (node/PROTOCOL.md): one TCP
// connection, length-prefixed JSON frames, blocking calls with a timeout.
//
// Every call ends in one history completion type, truthfully:
//   ok   - the node said the operation happened;
//   fail - it definitely did not: the node refused it ("outcome": "fail"),
//          or we never got the request out (connect failed);
//   info - it may have: the node said "outcome": "info", or a mutating
//          request was sent and then the reply did not come (timeout, lost
//          connection). A read that times out is `fail`: reads change nothing.
// After any timeout or I/O error the connection is closed, so a late reply
// can never be taken for the answer to a later request.
//
// Not thread-safe: one client per logical process, as in Jepsen.
#ifndef FAULTLINE_WORKLOADS_KV_CLIENT_H_
#define FAULTLINE_WORKLOADS_KV_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/history/event.h"

namespace faultline::workloads {

struct KvResult {
  history::OpType type = history::OpType::kFail;  // kOk, kFail or kInfo
  std::string error;    // stable code from the node or the client ("timeout", "connect", ...); "" when ok
  std::string message;  // human-readable detail
  nlohmann::json reply; // the node's whole reply, null if none arrived

  bool ok() const { return type == history::OpType::kOk; }
  // An outcome decided by the client itself (timeout, connect, bad reply).
  static KvResult client_error(history::OpType type, std::string code, std::string message) {
    KvResult r;
    r.type = type;
    r.error = std::move(code);
    r.message = std::move(message);
    return r;
  }
  // get: the live values (several under vv when writes were concurrent).
  std::vector<std::string> values() const;
  // get: the single value, if exactly one.
  std::optional<std::string> value() const;
  // get under vv: the causal context to send with the next write.
  nlohmann::json context() const;
};

struct KvOptions {
  nlohmann::json consistency;  // "ONE" | "QUORUM" | "ALL" | count; null: node default
  nlohmann::json context;      // vv: context from a previous get; null: none
  bool local = false;          // get: read only the contacted node's storage
};

class KvClient {
 public:
  // address is "host:port"; throws std::invalid_argument if malformed.
  explicit KvClient(const std::string& address,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  ~KvClient();
  KvClient(const KvClient&) = delete;
  KvClient& operator=(const KvClient&) = delete;

  KvResult get(const std::string& key, const KvOptions& options = {});
  KvResult put(const std::string& key, const std::string& value, const KvOptions& options = {});
  KvResult del(const std::string& key, const KvOptions& options = {});
  KvResult status();
  KvResult ping();

  // Sends any request object; `mutating` decides fail vs info on a timeout.
  KvResult call(nlohmann::json request, bool mutating);

  void close();
  const std::string& address() const { return address_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string address_;
};

// `faultline kv` for the harness CLI to wire up:
//   --node HOST:PORT [--consistency LEVEL] [--timeout-ms N] [--context JSON] [--local]
//   get KEY | put KEY VALUE | delete KEY | status | ping
// Prints the node's reply (or the client's error) as JSON to `out`.
// Returns 0 ok, 1 fail, 2 info (unknown), 254 bad arguments.
int kv_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace faultline::workloads

#endif  // FAULTLINE_WORKLOADS_KV_CLIENT_H_
