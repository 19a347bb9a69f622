// faultline-agent's netem commands in scratch network namespaces (`unshare
// -n`, so nothing outlives a test), with iproute2's tc as the independent
// judge of what the kernel can do and what is left on the device.
//
// On a kernel without sch_netem or sch_prio (this project's CI machines)
// `netem` must exit 3 naming what is missing and leave nothing behind; on a
// kernel with them it must build the prio/netem/u32 tree. The VM lane
// (netem_vmtest.cpp) proves the faults on the wire.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "faultline/process/command.h"
#include "packet/netem_fault.h"
#include "faultline/testing/require_root.h"
#include "faultline/testing/paths.h"

namespace faultline::nemesis {
using process::CommandResult;
using process::find_program;
using process::run_command;
namespace {

std::string agent() { return (faultline::testing::binary_dir() / "nemesis" / "faultline-agent").string(); }

// Runs `script` with sh in a fresh network namespace holding lo (up) and a
// veth pair flt-a (10.77.0.1/24, up) / flt-b. $AGENT is the agent.
CommandResult in_scratch_netns(const std::string& script) {
  std::string setup =
      "set -u; ip link set lo up && ip link add flt-a type veth peer name flt-b && "
      "ip addr add 10.77.0.1/24 dev flt-a && ip link set flt-a up && ip link set flt-b up || exit 99\n";
  return run_command({"unshare", "-n", "sh", "-c", setup + script},
                     {.timeout = std::chrono::milliseconds(15000),
                      .env = {{"AGENT", agent()}}});
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// What tc itself can add at the root of lo in a scratch namespace.
bool tc_can_add(const std::string& qdisc) {
  CommandResult r = run_command({"unshare", "-n", "sh", "-c", "tc qdisc add dev lo root " + qdisc},
                                {.timeout = std::chrono::milliseconds(5000)});
  return r.succeeded();
}

class NetemAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    FAULTLINE_REQUIRE_ROOT();
    if (!find_program("unshare") || !find_program("tc")) {
      FAULTLINE_SKIP_OR_FAIL("needs unshare (util-linux) and tc (iproute2)");
    }
  }
};

TEST_F(NetemAgent, RefusesWithExitThreeWhenTheKernelLacksNetemElseBuildsTheTree) {
  const bool has_netem = tc_can_add("netem delay 1ms");
  const bool has_prio = tc_can_add("prio bands 4");
  CommandResult r = in_scratch_netns(
      "$AGENT netem --dev flt-a --dst 10.77.0.2 --delay-ms 100; echo \"exit=$?\"\n"
      "echo '--- qdiscs'; $AGENT qdiscs --dev flt-a\n"
      "echo '--- tc'; tc qdisc show dev flt-a\n");
  ASSERT_TRUE(r.started && !r.timed_out) << r.describe();
  ASSERT_NE(r.exit_code, 99) << "scratch namespace setup failed: " << r.output;
  std::string tc_part = r.output.substr(r.output.find("--- tc"));
  if (!has_netem || !has_prio) {
    EXPECT_TRUE(contains(r.output, "exit=3")) << r.output;
    EXPECT_TRUE(contains(r.output, "faultline-agent netem: the kernel lacks")) << r.output;
    if (!has_netem) {
      EXPECT_TRUE(contains(r.output, "sch_netem")) << r.output;
    }
    if (!has_prio) {
      EXPECT_TRUE(contains(r.output, "sch_prio")) << r.output;
    }
    EXPECT_TRUE(contains(r.output, "NFQUEUE")) << r.output;
    // A refused fault leaves nothing of ours behind.
    EXPECT_FALSE(contains(tc_part, "prio")) << tc_part;
    EXPECT_FALSE(contains(tc_part, "netem")) << tc_part;
  } else {
    EXPECT_TRUE(contains(r.output, "exit=0")) << r.output;
    EXPECT_TRUE(contains(r.output, "prio 1: root")) << r.output;
    EXPECT_TRUE(contains(r.output, "netem 40: parent 1:4")) << r.output;
    EXPECT_TRUE(contains(tc_part, "netem 40:")) << tc_part;
  }
}

TEST_F(NetemAgent, KernelSupportProbeAgreesWithTc) {
  std::vector<std::string> missing = missing_netem_kernel_support(true);
  auto listed = [&missing](const char* m) { return std::find(missing.begin(), missing.end(), m) != missing.end(); };
  EXPECT_EQ(listed("sch_netem"), !tc_can_add("netem delay 1ms"));
  EXPECT_EQ(listed("sch_prio"), !tc_can_add("prio bands 4"));
  EXPECT_EQ(listed("sch_tbf"), !tc_can_add("tbf rate 1mbit burst 8k latency 50ms"));
}

TEST_F(NetemAgent, ClearIsIdempotentAndRemovesTheRootQdisc) {
  // A root qdisc this kernel has (tbf, else htb) stands in for a fault tree.
  std::string root = tc_can_add("tbf rate 1mbit burst 8k latency 50ms") ? "tbf rate 1mbit burst 8k latency 50ms"
                                                                         : "htb default 1";
  std::string kind = root.substr(0, root.find(' '));
  CommandResult r = in_scratch_netns(
      "tc qdisc add dev flt-a root handle 5: " + root + " || exit 98\n"
      "echo '--- listed'; $AGENT qdiscs --dev flt-a\n"
      "echo '--- clear1'; $AGENT netem-clear --dev flt-a; echo \"exit=$?\"\n"
      "echo '--- clear2'; $AGENT netem-clear --dev flt-a; echo \"exit=$?\"\n"
      "echo '--- clear-lo'; $AGENT netem-clear --dev lo; echo \"exit=$?\"\n"
      "echo '--- tc'; tc qdisc show dev flt-a\n"
      "echo '--- missing'; $AGENT netem-clear --dev flt-nope; echo \"exit=$?\"\n");
  ASSERT_TRUE(r.started && !r.timed_out) << r.describe();
  ASSERT_NE(r.exit_code, 99) << "scratch namespace setup failed: " << r.output;
  ASSERT_NE(r.exit_code, 98) << "tc could not add a root qdisc: " << r.output;
  auto section = [&r](const std::string& name) {
    std::size_t at = r.output.find("--- " + name);
    std::size_t end = r.output.find("--- ", at + 4);
    return r.output.substr(at, end == std::string::npos ? std::string::npos : end - at);
  };
  EXPECT_TRUE(contains(section("listed"), kind + " 5: root")) << r.output;
  EXPECT_TRUE(contains(section("clear1"), "netem cleared on flt-a\nexit=0")) << r.output;
  EXPECT_TRUE(contains(section("clear2"), "netem cleared on flt-a\nexit=0")) << r.output;
  EXPECT_TRUE(contains(section("clear-lo"), "exit=0")) << r.output;
  EXPECT_FALSE(contains(section("tc"), kind)) << r.output;
  EXPECT_TRUE(contains(section("missing"), "no device named 'flt-nope'")) << r.output;
  EXPECT_TRUE(contains(section("missing"), "exit=1")) << r.output;
}

}  // namespace
}  // namespace faultline::nemesis
