// The workloads' operation generators, one per client worker.
//
// Every random choice a worker makes (read or write, write or delete, which
// key, which element to read) comes from its own generator, seeded from the run's seed
// and the worker's index alone. So the same seed and options give each
// worker the same sequence of (f, key, value), however the workers happen to
// interleave in time; only the interleaving differs between runs. Nodes are
// not drawn at random: worker w is pinned to nodes[w % nodes.size()].
//
// Values are unique without coordination: worker w of c numbers its writes
// (register) or elements (set) w, w + c, w + 2c, ...
#ifndef FAULTLINE_WORKLOADS_GENERATOR_H_
#define FAULTLINE_WORKLOADS_GENERATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "faultline/history/event.h"
#include "faultline/workloads/workload.h"

namespace faultline::workloads {

// One operation as the history records its invocation.
struct PlannedOp {
  std::string f;                   // register: "read", "write"; set: "add", "read"
  std::optional<std::string> key;  // register: "r<slot>-<gen>"; set: "e<element>"
  history::Json value;             // write/add: the integer (null: a register delete); read: null

  friend bool operator==(const PlannedOp&, const PlannedOp&) = default;
};

class OpGenerator {
 public:
  virtual ~OpGenerator() = default;
  // The worker's next operation. Never blocks; never ends.
  virtual PlannedOp next() = 0;
};

// Workers a run has: options.concurrency, or 2 per node when it is 0.
int worker_count(const WorkloadOptions& options);

// The seed of worker `worker`'s generator: a mix of the run's seed and the
// index, so neighbouring seeds or workers give unrelated streams.
std::uint64_t worker_seed(std::uint64_t seed, int worker);

// Register: reads and writes over options.live_keys slots (0 = one per
// worker). Keys are retired by generation: worker w takes
// max(1, ops_per_key / workers) operations in each generation g, each on a
// slot drawn at random, key "r<slot>-<g>". However the workers drift apart,
// a key therefore sees at most workers * that many operations in the main
// phase, which is at most ops_per_key when ops_per_key >= workers (else at
// most workers). Of the
// writes, a delete_fraction share are deletes: f "write" with value null.
//
// Set: adds of the worker's elements w, w + c, ... as keys "e<element>", and
// with probability read_fraction a read of one element: one of the worker's
// last 8 adds, or one drawn from the elements the other workers are likely
// to have added by now.
//
// Throws std::invalid_argument for an unknown workload, or a worker outside
// [0, worker_count(options)). Options are otherwise taken as validated.
std::unique_ptr<OpGenerator> make_generator(const std::string& workload, const WorkloadOptions& options, int worker);

// The register generator's per-worker share of a key generation.
int register_ops_per_generation(const WorkloadOptions& options);

}  // namespace faultline::workloads

#endif  // FAULTLINE_WORKLOADS_GENERATOR_H_
