// murmur3's 64-bit finaliser: the ring's key hash and the Merkle trees'
// digests both end with it, and both must stay bit-for-bit stable across
// builds and platforms (tests pin their values). Private to node/.
#ifndef FAULTLINE_NODE_FMIX64_H_
#define FAULTLINE_NODE_FMIX64_H_

#include <cstdint>

namespace faultline::node {

inline std::uint64_t fmix64(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_FMIX64_H_
