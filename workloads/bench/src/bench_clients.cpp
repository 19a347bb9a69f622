#include "bench_clients.h"

#include "faultline/workloads/etcd_client.h"
#include "faultline/workloads/kv_client.h"

namespace faultline::workloads::bench {

namespace {

class FaultlineBenchClient : public BenchClient {
 public:
  FaultlineBenchClient(const std::string& address, const std::string& consistency, std::chrono::milliseconds timeout)
      : client_(address, timeout) {
    options_.consistency = consistency;
  }
  KvResult put(const std::string& key, const std::string& value) override { return client_.put(key, value, options_); }
  KvResult get(const std::string& key) override { return client_.get(key, options_); }

 private:
  KvClient client_;
  KvOptions options_;
};

class EtcdBenchClient : public BenchClient {
 public:
  EtcdBenchClient(const std::string& address, bool serializable, std::chrono::milliseconds timeout)
      : client_(address, timeout), serializable_(serializable) {}
  KvResult put(const std::string& key, const std::string& value) override { return client_.put(key, value); }
  KvResult get(const std::string& key) override { return client_.get(key, serializable_); }

 private:
  EtcdClient client_;
  bool serializable_;
};

}  // namespace

ClientFactory faultline_clients(std::string consistency, std::chrono::milliseconds timeout) {
  return [consistency, timeout](const std::string& address) -> std::unique_ptr<BenchClient> {
    return std::make_unique<FaultlineBenchClient>(address, consistency, timeout);
  };
}

ClientFactory etcd_clients(bool serializable, std::chrono::milliseconds timeout) {
  return [serializable, timeout](const std::string& address) -> std::unique_ptr<BenchClient> {
    return std::make_unique<EtcdBenchClient>(address, serializable, timeout);
  };
}

}  // namespace faultline::workloads::bench
