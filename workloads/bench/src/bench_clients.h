// The BenchClient of each target kv_bench can drive. Each maps the run's
// consistency level onto what the target offers; see kv_bench.cpp for the
// mapping and why etcd has no ONE put.
#ifndef FAULTLINE_WORKLOADS_BENCH_BENCH_CLIENTS_H_
#define FAULTLINE_WORKLOADS_BENCH_BENCH_CLIENTS_H_

#include <chrono>
#include <string>

#include "closed_loop.h"

namespace faultline::workloads::bench {

// faultline-node's client protocol; `consistency` goes with every request
// ("ONE", "QUORUM", "ALL").
ClientFactory faultline_clients(std::string consistency, std::chrono::milliseconds timeout);

// etcd's HTTP gateway; `serializable` gets read the contacted member's state
// (ONE), otherwise gets are linearizable (QUORUM). Puts are always Raft.
ClientFactory etcd_clients(bool serializable, std::chrono::milliseconds timeout);

}  // namespace faultline::workloads::bench

#endif  // FAULTLINE_WORKLOADS_BENCH_BENCH_CLIENTS_H_
