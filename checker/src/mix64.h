// splitmix64's finalizer, the one hash the checker's open-addressing tables
// use: consecutive integers land far apart. Private to checker/.
#ifndef FAULTLINE_CHECKER_MIX64_H_
#define FAULTLINE_CHECKER_MIX64_H_

#include <cstdint>

namespace faultline::check::detail {

inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace faultline::check::detail

#endif  // FAULTLINE_CHECKER_MIX64_H_
