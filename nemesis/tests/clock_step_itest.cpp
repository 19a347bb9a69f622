// `faultline-agent clock-step` for real, made harmless: the agent runs with
// CAP_SYS_TIME dropped from its bounding set (setpriv), so even a broken
// guard could not step this machine's clock. It must refuse a host with the
// controller's boot_id before trying, and try (and be denied) otherwise.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "faultline/process/command.h"
#include "faultline/testing/require_root.h"
#include "faultline/testing/paths.h"

namespace {

std::string agent() { return (faultline::testing::binary_dir() / "nemesis" / "faultline-agent").string(); }

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  in >> id;
  return id;
}

faultline::process::CommandResult step_without_cap(const std::string& refuse) {
  return faultline::process::run_command({"setpriv", "--bounding-set", "-sys_time", "--inh-caps", "-sys_time", agent(),
                                          "clock-step", "--delta-ms", "60000", "--refuse-boot-id", refuse},
                                         {.timeout = std::chrono::milliseconds(5000)});
}

TEST(ClockStep, RefusesTheControllersOwnKernelAndOtherwiseSetsTheClock) {
  if (!faultline::process::find_program("setpriv")) FAULTLINE_SKIP_OR_FAIL("setpriv (util-linux) not found");
  const auto before = std::chrono::system_clock::now();
  auto same = step_without_cap(boot_id());
  EXPECT_EQ(same.exit_code, 1) << same.output;
  EXPECT_NE(same.output.find("shares the controller's kernel"), std::string::npos) << same.output;
  EXPECT_EQ(same.output.find("clock_settime"), std::string::npos) << "it tried: " << same.output;

  auto other = step_without_cap("00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(other.exit_code, 1) << other.output;
  EXPECT_NE(other.output.find("clock_settime: Operation not permitted"), std::string::npos) << other.output;
  // Our clock did not move by the minute asked for.
  EXPECT_LT(std::chrono::system_clock::now() - before, std::chrono::seconds(10));

  auto bad = faultline::process::run_command({agent(), "clock-step", "--delta-ms", "5"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;  // --refuse-boot-id is required
}

}  // namespace
