// For integration tests that need root (namespaces, qdiscs, firewall rules,
// cgroups) or another piece of the machine (qemu, a kernel feature):
//
//   TEST(Netns, Works) {
//     FAULTLINE_REQUIRE_ROOT();          // skip when not root ...
//     ...
//   }
//   if (!qemu_found) FAULTLINE_SKIP_OR_FAIL("qemu-system-x86_64 not installed");
//
// Both skip with a clear message normally, and FAIL instead when the
// environment says FAULTLINE_REQUIRE_ROOT=1 (CI sets it through .ci/run), so
// a CI machine that lost its privileges cannot pass by skipping.
//
// Like GTEST_SKIP and FAIL, they return from the current function: use them
// in a TEST body or in SetUp().
//
// Include as "faultline/testing/require_root.h" when <source>/test-support is
// on the include path, else by a path relative to the test file.
#ifndef FAULTLINE_TESTING_REQUIRE_ROOT_H_
#define FAULTLINE_TESTING_REQUIRE_ROOT_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace faultline::testing {

inline bool running_as_root() { return ::geteuid() == 0; }

// FAULTLINE_REQUIRE_ROOT=1: skipping is not allowed.
inline bool skipping_forbidden() {
  const char* v = std::getenv("FAULTLINE_REQUIRE_ROOT");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

}  // namespace faultline::testing

#define FAULTLINE_SKIP_OR_FAIL(why)                                                              \
  do {                                                                                           \
    if (::faultline::testing::skipping_forbidden()) {                                            \
      FAIL() << "cannot run: " << (why) << " (FAULTLINE_REQUIRE_ROOT=1 forbids skipping)";       \
    } else {                                                                                     \
      GTEST_SKIP() << "skipped: " << (why) << " (set FAULTLINE_REQUIRE_ROOT=1 to make this fail)"; \
    }                                                                                            \
  } while (0)

#define FAULTLINE_REQUIRE_ROOT()                                                           \
  do {                                                                                     \
    if (!::faultline::testing::running_as_root()) {                                        \
      FAULTLINE_SKIP_OR_FAIL("needs root (namespaces, links, qdiscs, firewall, cgroups); " \
                             "run as root");                                               \
    }                                                                                      \
  } while (0)

#endif  // FAULTLINE_TESTING_REQUIRE_ROOT_H_
