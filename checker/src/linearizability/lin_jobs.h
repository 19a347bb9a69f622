// Running every independent sub-history's search: one job per key, run in
// slices from one queue by `threads` workers so a hard key does not hold up
// the others, then the witness work (exact frontier, shrinking) for the first
// invalid keys. linearizability.cpp turns the reports into a Result.
#ifndef FAULTLINE_CHECKER_SRC_LINEARIZABILITY_LIN_JOBS_H_
#define FAULTLINE_CHECKER_SRC_LINEARIZABILITY_LIN_JOBS_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "linearizability/linearizability.h"
#include "linearizability/lin_budget.h"
#include "linearizability/lin_ops.h"
#include "linearizability/lin_search.h"

namespace faultline::check::lin {

// Search steps for a key's exact frontier: 3x the hardest known key
// (Porcupine's c50-bad, 19.1 M steps).
constexpr std::uint64_t kFrontierSteps = 64'000'000;
constexpr std::size_t kMaxShrunkPartitions = 8;  // witness shrinking is per invalid key; bound the total
// What one sub-history's check found, with op indices into Prepared::ops.
struct PartitionReport {
  Validity verdict = Validity::kUnknown;
  Exhausted exhausted = Exhausted::kNone;
  std::uint64_t steps = 0;
  std::size_t configurations = 0;
  std::size_t peak_bytes = 0;
  std::uint32_t blocked = kNever;
  std::vector<std::uint32_t> linearization;
  std::vector<std::uint32_t> pending;
  std::vector<std::string> states;
  std::vector<std::uint32_t> witness;  // ops that must keep their outcome
  std::vector<std::uint32_t> support;  // ops that explain the witness (where its values came from)
  bool shrunk = false;
  bool witness_minimal = false;
  bool prefix_unknown = false;  // the budget ran out before a linearizable prefix was found
  bool impossible = false;      // the blocked op needs a value no op could have produced
  bool detailed = false;        // blocked op, prefix and witness worked out (only the listed keys)
};

struct Shared {
  const Prepared& prepared;
  const LinearizabilityOptions& options;
  Budget budget;
  std::atomic<std::size_t> shrink_slots{std::min(kMaxShrunkPartitions, options.max_reported)};
};

// Runs every sub-history's search in slices from one queue. With
// after_invalid >= 0 the rest stop that many seconds after the first invalid
// one (the verdict is settled by then); otherwise every key is searched, so
// every invalid key is counted. The witness work is done for the first
// max_reported invalid keys only, after every search has finished, so it
// neither competes with the searches for CPU nor is cut short by them; the
// other invalid keys are only counted.
std::vector<PartitionReport> run_jobs(Shared& shared, std::size_t threads, double after_invalid);

}  // namespace faultline::check::lin

#endif  // FAULTLINE_CHECKER_SRC_LINEARIZABILITY_LIN_JOBS_H_
