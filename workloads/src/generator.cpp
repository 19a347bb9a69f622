#include "generator.h"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace faultline::workloads {
namespace {

// SplitMix64's finalizer: a bijection that scatters nearby inputs.
std::uint64_t mix(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// mt19937_64's output is fixed by the standard, and the two draws below
// are ours (not std::*_distribution, whose algorithms vary by library), so a
// seed means the same sequence on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t below(std::uint64_t n) { return n <= 1 ? 0 : engine_() % n; }
  double unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

 private:
  std::mt19937_64 engine_;
};

double read_fraction(const WorkloadOptions& o, double fallback) { return o.read_fraction.value_or(fallback); }

class RegisterGenerator : public OpGenerator {
 public:
  RegisterGenerator(const WorkloadOptions& o, int worker)
      : rng_(worker_seed(o.seed, worker)),
        worker_(worker),
        workers_(worker_count(o)),
        slots_(o.live_keys > 0 ? o.live_keys : worker_count(o)),
        per_generation_(register_ops_per_generation(o)),
        reads_(read_fraction(o, 0.5)),
        deletes_(o.delete_fraction) {}

  PlannedOp next() override {
    const std::int64_t generation = ops_ / per_generation_;
    ++ops_;
    const auto slot = rng_.below(static_cast<std::uint64_t>(slots_));
    PlannedOp op;
    op.key = "r" + std::to_string(slot) + "-" + std::to_string(generation);
    if (rng_.unit() < reads_) {
      op.f = "read";
    } else if (deletes_ > 0 && rng_.unit() < deletes_) {
      op.f = "write";  // of null: a delete, back to the initial value
    } else {
      op.f = "write";
      op.value = writes_ * workers_ + worker_ + 1;  // unique over all workers, never the initial null
      ++writes_;
    }
    return op;
  }

 private:
  Rng rng_;
  std::int64_t worker_, workers_, slots_, per_generation_;
  double reads_, deletes_;
  std::int64_t ops_ = 0, writes_ = 0;
};

class SetGenerator : public OpGenerator {
 public:
  static constexpr std::int64_t kRecent = 8;

  SetGenerator(const WorkloadOptions& o, int worker)
      : rng_(worker_seed(o.seed, worker)), worker_(worker), workers_(worker_count(o)), reads_(read_fraction(o, 0.2)) {}

  PlannedOp next() override {
    PlannedOp op;
    if (adds_ > 0 && rng_.unit() < reads_) {
      std::int64_t element;
      if (rng_.below(2) == 0) {
        // One of our own last adds: the likeliest to be caught missing.
        const auto back = static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(std::min(adds_, kRecent))));
        element = (adds_ - 1 - back) * workers_ + worker_;
      } else {
        // Anyone's, among those added about as far along as we are.
        element = static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(adds_ * workers_)));
      }
      op.f = "read";
      op.key = "e" + std::to_string(element);
      return op;
    }
    const std::int64_t element = adds_ * workers_ + worker_;
    ++adds_;
    op.f = "add";
    op.key = "e" + std::to_string(element);
    op.value = element;
    return op;
  }

 private:
  Rng rng_;
  std::int64_t worker_, workers_;
  double reads_;
  std::int64_t adds_ = 0;
};

}  // namespace

int worker_count(const WorkloadOptions& options) {
  return options.concurrency > 0 ? options.concurrency : 2 * static_cast<int>(options.nodes.size());
}

std::uint64_t worker_seed(std::uint64_t seed, int worker) {
  return mix(mix(seed) ^ (static_cast<std::uint64_t>(worker) + 1) * 0xD1B54A32D192ED03ull);
}

int register_ops_per_generation(const WorkloadOptions& options) {
  return std::max(1, options.ops_per_key / std::max(1, worker_count(options)));
}

std::unique_ptr<OpGenerator> make_generator(const std::string& workload, const WorkloadOptions& options, int worker) {
  const int workers = worker_count(options);
  if (worker < 0 || worker >= workers)
    throw std::invalid_argument("worker " + std::to_string(worker) + " is outside 0.." + std::to_string(workers - 1));
  if (workload == "register") return std::make_unique<RegisterGenerator>(options, worker);
  if (workload == "set") return std::make_unique<SetGenerator>(options, worker);
  throw std::invalid_argument("no generator for workload \"" + workload + "\" (known: register, set)");
}

}  // namespace faultline::workloads
