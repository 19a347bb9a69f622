#include "faultline/nemesis/capabilities.h"

#include <gtest/gtest.h>

#include <chrono>

#include "packet/qdisc.h"

namespace faultline::nemesis {
namespace {

Capability c(const char* name, bool ok) {
  Capability cap;
  cap.name = name;
  cap.title = name;
  cap.ok = ok;
  cap.reason = ok ? "worked" : "failed";
  return cap;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "|";
  return out;
}

TEST(ResolveFallbacks, NoNetemButNfqueueFallsBackToTheUserspaceShaper) {
  std::vector<Capability> caps{c(cap::kNetns, true), c(cap::kNetem, false), c(cap::kNfqueue, true)};
  resolve_fallbacks(caps);
  const Capability* netem = find_capability(caps, cap::kNetem);
  ASSERT_NE(netem, nullptr);
  EXPECT_NE(joined(netem->disables).find("kernel netem"), std::string::npos);
  EXPECT_NE(netem->fallback.find("NFQUEUE userspace shaper"), std::string::npos);
  EXPECT_NE(netem->fallback.find("qemu VM lane"), std::string::npos);
  EXPECT_EQ(mechanisms(caps).packet_faults, "nfqueue");
}

TEST(ResolveFallbacks, NeitherNetemNorNfqueueDisablesPacketFaults) {
  std::vector<Capability> caps{c(cap::kNetns, true), c(cap::kNetem, false), c(cap::kNfqueue, false)};
  resolve_fallbacks(caps);
  EXPECT_NE(joined(caps[1].disables).find("packet faults (neither"), std::string::npos);
  EXPECT_EQ(caps[1].fallback.find("NFQUEUE userspace shaper"), std::string::npos);
  EXPECT_NE(joined(caps[2].disables).find("packet faults"), std::string::npos);
  EXPECT_EQ(mechanisms(caps).packet_faults, "none");
}

TEST(ResolveFallbacks, NetemPresentMakesNfqueueOptional) {
  std::vector<Capability> caps{c(cap::kNetns, true), c(cap::kNetem, true), c(cap::kNfqueue, false)};
  resolve_fallbacks(caps);
  EXPECT_TRUE(caps[1].disables.empty());
  EXPECT_NE(joined(caps[2].disables).find("not needed"), std::string::npos);
  EXPECT_EQ(mechanisms(caps).packet_faults, "netem");
}

TEST(ResolveFallbacks, PartitionsFallBackFromNftablesToIptables) {
  std::vector<Capability> caps{c(cap::kNetns, true), c(cap::kNftables, false), c(cap::kIptables, true)};
  resolve_fallbacks(caps);
  EXPECT_NE(caps[1].fallback.find("iptables"), std::string::npos);
  EXPECT_EQ(mechanisms(caps).partitions, "iptables");

  caps = {c(cap::kNetns, true), c(cap::kNftables, false), c(cap::kIptables, false)};
  resolve_fallbacks(caps);
  EXPECT_NE(joined(caps[1].disables).find("partitions (neither"), std::string::npos);
  EXPECT_EQ(mechanisms(caps).partitions, "none");
}

TEST(ResolveFallbacks, WithoutNamespacesNoNetworkFaultsOnThisHost) {
  std::vector<Capability> caps{c(cap::kNetns, false), c(cap::kNftables, true), c(cap::kNetem, true)};
  resolve_fallbacks(caps);
  EXPECT_NE(caps[0].fallback.find("--backend local"), std::string::npos);
  EXPECT_EQ(mechanisms(caps).partitions, "none");
  EXPECT_EQ(mechanisms(caps).packet_faults, "none");
}

TEST(ResolveFallbacks, PausesFallBackToSigstop) {
  std::vector<Capability> caps{c(cap::kFreezer, false), c(cap::kSigstop, true)};
  resolve_fallbacks(caps);
  EXPECT_NE(caps[0].fallback.find("SIGSTOP"), std::string::npos);
  EXPECT_EQ(mechanisms(caps).pauses, "sigstop");
  caps = {c(cap::kFreezer, true), c(cap::kSigstop, true)};
  EXPECT_EQ(mechanisms(caps).pauses, "cgroup-freezer");
}

TEST(ResolveFallbacks, OkCapabilitiesDisableNothingAndUnknownOnesAreKept) {
  Capability custom = c("graphviz", false);
  custom.disables = {"diagrams"};
  std::vector<Capability> caps{c(cap::kNetem, true), custom};
  caps[0].disables = {"stale"};
  resolve_fallbacks(caps);
  EXPECT_TRUE(caps[0].disables.empty());
  EXPECT_EQ(caps[1].disables, std::vector<std::string>{"diagrams"});
}

TEST(ResolveFallbacks, UnprobedCapabilitiesClaimNothingAboutEachOther) {
  std::vector<Capability> caps{c(cap::kNetns, false), c(cap::kNftables, false), c(cap::kIptables, false),
                               c(cap::kNetem, false), c(cap::kNfqueue, false), c(cap::kFreezer, false),
                               c(cap::kSigstop, true)};
  for (Capability& cap : caps) cap.probed = cap.name == cap::kSigstop;
  resolve_fallbacks(caps);
  for (const Capability& cap : caps) {
    for (const std::string& d : cap.disables) EXPECT_EQ(d.find("neither"), std::string::npos) << cap.name << ": " << d;
  }
  EXPECT_EQ(caps[1].disables, std::vector<std::string>{"nftables partitions"});
  EXPECT_TRUE(caps[3].fallback.empty());
  // What is known still counts: SIGSTOP was probed and works.
  EXPECT_NE(caps[5].fallback.find("SIGSTOP"), std::string::npos);
}

TEST(ResolveFallbacks, EveryKnownMissingCapabilitySaysWhatItDisables) {
  std::vector<Capability> caps;
  for (const char* name : {cap::kRoot, cap::kNetns, cap::kVeth, cap::kBridge, cap::kNftables, cap::kIptables,
                           cap::kNetem, cap::kPrio, cap::kU32, cap::kHtb, cap::kTbf, cap::kNfqueue, cap::kFaketime,
                           cap::kFreezer, cap::kSigstop}) {
    caps.push_back(c(name, false));
  }
  resolve_fallbacks(caps);
  for (const Capability& cap : caps) EXPECT_FALSE(cap.disables.empty()) << cap.name;
}

TEST(ProbeCapabilities, UnprivilegedSkipsRootProbesWithAClearReason) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<Capability> caps = probe_capabilities({.privileged = false});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  for (const char* name : {cap::kNetns, cap::kVeth, cap::kBridge, cap::kNftables, cap::kIptables, cap::kNetem,
                           cap::kNfqueue}) {
    const Capability* cap = find_capability(caps, name);
    ASSERT_NE(cap, nullptr) << name;
    EXPECT_FALSE(cap->ok);
    EXPECT_FALSE(cap->probed);
    EXPECT_EQ(cap->reason.rfind("needs root", 0), 0u) << cap->reason;
  }
  // Probes that need no root still ran for real.
  const Capability* sigstop = find_capability(caps, cap::kSigstop);
  ASSERT_NE(sigstop, nullptr);
  EXPECT_TRUE(sigstop->probed);
  EXPECT_TRUE(sigstop->ok) << sigstop->reason;
  for (const Capability& cap : caps) {
    EXPECT_FALSE(cap.reason.empty()) << cap.name;
    EXPECT_EQ(cap.reason.find('\n'), std::string::npos) << cap.name << ": reasons are one line";
  }
}

TEST(Netem, ProbabilityScale) {
  EXPECT_EQ(netem_probability(0), 0u);
  EXPECT_EQ(netem_probability(-5), 0u);
  EXPECT_EQ(netem_probability(100), 0xFFFFFFFFu);
  EXPECT_EQ(netem_probability(250), 0xFFFFFFFFu);
  EXPECT_NEAR(netem_probability(20) / 4294967295.0, 0.20, 1e-9);
  EXPECT_EQ(tc_handle(1, 4), 0x00010004u);
}

TEST(Netem, JepsenDefaults) {
  NetemParams d = NetemParams::jepsen_delay();
  EXPECT_EQ(d.delay_us, 50'000u);
  EXPECT_EQ(d.jitter_us, 10'000u);
  NetemParams l = NetemParams::jepsen_loss();
  EXPECT_EQ(l.loss, 20);
  EXPECT_EQ(l.loss_correlation, 75);
}

}  // namespace
}  // namespace faultline::nemesis
