// The closing line that says what a run injected.
#include "faultline/nemesis/summary.h"

#include <gtest/gtest.h>

namespace faultline::nemesis {
namespace {

using nlohmann::json;

TEST(Summary, EachFaultInAFewWords) {
  EXPECT_EQ(describe_window("kill", {{"signal", "SIGKILL"}}), "kill");
  EXPECT_EQ(describe_window("pause", {{"mechanism", "freezer"}}), "pause");
  EXPECT_EQ(describe_window("partition", {{"topology", "random-halves"}, {"grudge", json::object()}}),
            "partition random-halves");
  EXPECT_EQ(describe_window("packet", {{"kind", "loss"}, {"loss", 20}, {"loss_corr", 75}}), "packet loss 20%");
  EXPECT_EQ(describe_window("packet", {{"kind", "delay"}, {"delay_ms", 50}, {"jitter_ms", 10}}), "packet delay 50 ms");
  EXPECT_EQ(describe_window("packet", {{"kind", "rate"}, {"rate_kbit", 1000}}), "packet rate 1000 kbit/s");
  EXPECT_EQ(describe_window("packet", {{"kind", "reorder"}, {"delay_ms", 50}, {"reorder", 20}}), "packet reorder 20%");
}

TEST(Summary, ClockShowsTheLargestSkewWithItsSign) {
  EXPECT_EQ(describe_window("clock", {{"mode", "bump"}, {"offsets_ms", {{"n1", 37200}, {"n2", -5000}}}}),
            "clock bump +37 s");
  EXPECT_EQ(describe_window("clock", {{"mode", "bump"}, {"offsets_ms", {{"n1", 300}, {"n2", -1500}}}}),
            "clock bump -1.5 s");
  EXPECT_EQ(describe_window("clock", {{"mode", "bump"}, {"offsets_ms", {{"n3", 250}}}}), "clock bump +250 ms");
  EXPECT_EQ(describe_window("clock", {{"mode", "strobe"}, {"delta_ms", -2500}, {"period_ms", 120}}),
            "clock strobe \u00b12.5 s every 120 ms");
}

TEST(Summary, MalformedParametersAreLeftOutNotGuessed) {
  EXPECT_EQ(describe_window("clock", json::array()), "clock");
  EXPECT_EQ(describe_window("clock", {{"mode", "bump"}, {"offsets_ms", "n1"}}), "clock bump");
  EXPECT_EQ(describe_window("packet", {{"kind", "loss"}}), "packet loss");
  EXPECT_EQ(describe_window("packet", json()), "packet");
  EXPECT_EQ(describe_window("partition", {{"topology", 3}}), "partition");
  EXPECT_EQ(describe_window("zombie", json::object()), "zombie");
}

TEST(Summary, IdenticalWindowsAreCountedInOrderOfFirstAppearance) {
  EXPECT_EQ(describe_windows({}), "no fault injected");
  EXPECT_EQ(describe_windows({{"kill", json::object()}}), "1 fault window: kill");
  EXPECT_EQ(describe_windows({{"partition", {{"topology", "bridge"}}},
                              {"pause", json::object()},
                              {"partition", {{"topology", "bridge"}}},
                              {"kill", json::object()},
                              {"clock", {{"mode", "bump"}, {"offsets_ms", {{"n1", 37000}}}}},
                              {"packet", {{"kind", "loss"}, {"loss", 20}}}}),
            "6 fault windows: partition bridge \u00d72, pause, kill, clock bump +37 s, packet loss 20%");
}

}  // namespace
}  // namespace faultline::nemesis
