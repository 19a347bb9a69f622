# Sourced by the ci tests that need root (netns clusters), as
# FAULTLINE_REQUIRE_ROOT() in the C++ tests: without root they exit 77 (CTest
# skip), or fail when FAULTLINE_REQUIRE_ROOT=1 says root is expected.
if [ "$(id -u)" != 0 ]; then
  [ "${FAULTLINE_REQUIRE_ROOT:-}" = 1 ] && { echo "needs root (FAULTLINE_REQUIRE_ROOT=1)"; exit 1; }
  echo "skipped: needs root"; exit 77
fi
