// Client for etcd v3 through its JSON/HTTP gRPC gateway (the client port's
// POST /v3/kv/put and /v3/kv/range, keys and values base64 in the JSON):
// one keep-alive HTTP/1.1 connection, blocking calls with a timeout. It lets
// the same workloads and benchmarks drive etcd as an outside reference.
//
// Results use KvResult and its completion types, with the same truthfulness
// as KvClient (kv_client.h):
//   ok   - etcd answered 200;
//   fail - it certainly did not happen: connect failed, a read failed in any
//          way (reads change nothing), or etcd refused a put as malformed
//          (HTTP 400);
//   info - a put was sent and then the answer was lost, or etcd answered
//          with another error: "request timed out" and leader changes may
//          still commit the entry.
// On ok, `reply` is {"values": [decoded values], "revision": N, "etcd": raw
// gateway reply}, so KvResult::value() works as for faultline-node.
// After a timeout or I/O error the connection is closed, so a late answer is
// never taken for the next request's.
//
// Not thread-safe: one client per logical process.
#ifndef FAULTLINE_WORKLOADS_ETCD_CLIENT_H_
#define FAULTLINE_WORKLOADS_ETCD_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "faultline/workloads/kv_client.h"

namespace faultline::workloads {

class EtcdClient {
 public:
  // address is the member's client endpoint "host:port" (no scheme, plain
  // HTTP); throws std::invalid_argument if malformed.
  explicit EtcdClient(const std::string& address,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // Every etcd put goes through Raft: there is no weaker write level.
  KvResult put(const std::string& key, const std::string& value);
  // serializable=false: linearizable (etcd's default, a ReadIndex round via
  // the leader); true: the contacted member's local state, possibly stale.
  KvResult get(const std::string& key, bool serializable = false);

  void close();
  const std::string& address() const { return address_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string address_;
};

// Standard base64 (RFC 4648, with padding), as the gateway's JSON uses for
// bytes fields. decode throws std::invalid_argument on malformed input.
std::string base64_encode(std::string_view in);
std::string base64_decode(std::string_view in);

}  // namespace faultline::workloads

#endif  // FAULTLINE_WORKLOADS_ETCD_CLIENT_H_
