// Seeded choices that mean the same thing on every platform: the standard
// distributions and std::shuffle are implementation-defined in how they use
// the engine, and a run's faults must depend only on its seed.
#ifndef FAULTLINE_NEMESIS_RANDOM_H_
#define FAULTLINE_NEMESIS_RANDOM_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace faultline::nemesis {

// Fisher-Yates over the engine's raw output.
template <typename T>
void shuffle_portably(std::vector<T>& items, std::mt19937_64& rng) {
  for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng() % i]);
}

// Uniform in [lo, hi).
inline double uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * (static_cast<double>(rng() >> 11) * 0x1.0p-53);
}

// One element, uniformly.
template <typename T>
const T& pick(const std::vector<T>& items, std::mt19937_64& rng) {
  return items[rng() % items.size()];
}

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_RANDOM_H_
