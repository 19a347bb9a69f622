// Targets, fault names, firewall commands and clock files: the pure parts of
// the faults.
#include <gtest/gtest.h>

#include <fstream>

#include "faultline/nemesis/clock_file.h"
#include "faultline/nemesis/fault.h"
#include "firewall.h"
#include "faultline/testing/test_dir.h"

namespace faultline::nemesis {
namespace {

const std::vector<std::string> kFive = {"n1", "n2", "n3", "n4", "n5"};

TEST(Targets, SizesFollowTheSpec) {
  std::mt19937_64 rng(5);
  EXPECT_EQ(select_targets(kFive, "one", rng).size(), 1u);
  EXPECT_EQ(select_targets(kFive, "minority", rng).size(), 2u);
  EXPECT_EQ(select_targets(kFive, "majority", rng).size(), 3u);
  EXPECT_EQ(select_targets(kFive, "all", rng).size(), 5u);
  EXPECT_EQ(select_targets({"n1", "n2", "n3"}, "minority", rng).size(), 1u);
  EXPECT_EQ(select_targets({"n1", "n2", "n3", "n4"}, "minority", rng).size(), 1u);
  EXPECT_EQ(select_targets({"n1", "n2", "n3", "n4"}, "majority", rng).size(), 3u);
  EXPECT_THROW(select_targets(kFive, "most", rng), std::invalid_argument);
}

TEST(Targets, DrawnFromTheSeed) {
  std::mt19937_64 a(9), b(9);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(select_targets(kFive, "minority", a), select_targets(kFive, "minority", b));
}

TEST(FaultNames, AllExpandsNoneVanishesUnknownIsNamed) {
  EXPECT_EQ(expand_faults({"all"}), known_faults());
  EXPECT_TRUE(expand_faults({"none"}).empty());
  EXPECT_EQ(expand_faults({"kill", "pause", "kill"}), (std::vector<std::string>{"kill", "pause"}));
  try {
    expand_faults({"partition", "earthquake"});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'earthquake'"), std::string::npos);
  }
  EXPECT_TRUE(needs_network("partition"));
  EXPECT_TRUE(needs_network("packet"));
  EXPECT_FALSE(needs_network("clock"));
}

TEST(PacketKinds, BothMechanismsDoEveryKind) {
  EXPECT_EQ(packet_kinds("netem").size(), 6u);
  EXPECT_EQ(packet_kinds("nfqueue"), packet_kinds("netem"));
}

TEST(Firewall, NftDropsBySourceInOurOwnTable) {
  auto cmds = drop_commands(FirewallTool::nft, {"10.1.0.2", "10.1.0.3"});
  ASSERT_EQ(cmds.size(), 1u);  // one transaction: heal, then add
  EXPECT_EQ(cmds[0][1].rfind(heal_commands(FirewallTool::nft)[0][1], 0), 0u);
  EXPECT_NE(cmds[0][1].find("ip saddr { 10.1.0.2, 10.1.0.3 } drop"), std::string::npos);
  EXPECT_NE(cmds[0][1].find("hook input"), std::string::npos);
  EXPECT_NE(cmds[0][1].find(kFirewallTable), std::string::npos);
}

TEST(Firewall, IptablesFallbackUsesItsOwnChain) {
  auto cmds = drop_commands(FirewallTool::iptables, {"10.1.0.2"});
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_NE(cmds[1][2].find("-s 10.1.0.2 -j DROP"), std::string::npos);
}

TEST(Firewall, RejectsWhatIsNotAnAddress) {
  EXPECT_THROW(drop_commands(FirewallTool::nft, {"10.1.0.2; flush ruleset"}), std::invalid_argument);
  EXPECT_THROW(drop_commands(FirewallTool::nft, {}), std::invalid_argument);
}

TEST(ClockFile, OffsetTextIsLibfaketimeRelativeSeconds) {
  EXPECT_EQ(faketime_offset_text(0), "+0.000");
  EXPECT_EQ(faketime_offset_text(1500), "+1.500");
  EXPECT_EQ(faketime_offset_text(-250), "-0.250");
  EXPECT_EQ(faketime_offset_text(-262144), "-262.144");
}

TEST(ClockFile, WritesAtomicallyAndEnvNamesTheFile) {
  node::testing::TestDir dir("clock-file");
  auto file = clock_file(dir.path(), "n2");
  ASSERT_TRUE(write_clock_offset(file, -1234).ok);
  std::ifstream in(file);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "-1.234");
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
  auto env = faketime_env("/lib/x/libfaketimeMT.so.1", file);
  bool names_file = false;
  for (const auto& [k, v] : env) names_file = names_file || (k == "FAKETIME_TIMESTAMP_FILE" && v == file.string());
  EXPECT_TRUE(names_file);
  EXPECT_FALSE(write_clock_offset(dir.path() / "missing" / "n1.faketime", 5).ok);
}

}  // namespace
}  // namespace faultline::nemesis
