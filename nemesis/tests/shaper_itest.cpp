// The NFQUEUE shaper on real packets: `faultline-agent shape` runs in
// namespace A (started with `ip netns exec`, as the controller does), shaping
// A's traffic to B while C is left alone; UDP echoes in B and C measure what
// arrives and when. Namespaces are made per test process and removed after.
// Needs root.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "packet/shape_agent.h"
#include "packet/shaper.h"
#include "faultline/testing/netns_lab.h"
#include "faultline/testing/require_root.h"
#include "faultline/testing/paths.h"

namespace faultline::nemesis {
using process::Status;
namespace {

using namespace std::chrono_literals;
using testing::LabArrival;
using testing::LabChild;
using testing::LabProcess;
using testing::NetnsLab;

std::string agent_binary() { return (faultline::testing::binary_dir() / "nemesis" / "faultline-agent").string(); }

double median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int answered(const std::vector<double>& rtts) {
  return static_cast<int>(std::count_if(rtts.begin(), rtts.end(), [](double r) { return r >= 0; }));
}

// "key=value" out of a stats line, or -1.
long stat_of(const std::string& line, const std::string& key) {
  std::istringstream in(line);
  for (std::string word; in >> word;) {
    if (word.rfind(key + "=", 0) == 0) return std::stol(word.substr(key.size() + 1));
  }
  return -1;
}

// A (10.o.1.1) — B (10.o.1.2) on subnet 1, A (10.o.2.1) — C (10.o.2.2) on
// subnet 2, echo servers in B and C.
class ShaperLab : public ::testing::Test {
 protected:
  void SetUp() override {
    FAULTLINE_REQUIRE_ROOT();
    lab_ = std::make_unique<NetnsLab>("shp");
    for (const char* n : {"a", "b", "c"}) ASSERT_EQ(lab_->add_namespace(n), "");
    ASSERT_EQ(lab_->link("a", "b", 1), "");
    ASSERT_EQ(lab_->link("a", "c", 2), "");
    b_ = lab_->address("b", 1);
    c_ = lab_->address("c", 2);
    echo_b_ = lab_->udp_echo("b");
    echo_c_ = lab_->udp_echo("c");
    ASSERT_TRUE(lab_->wait_echo("a", b_)) << "no echo from B before any shaping";
    ASSERT_TRUE(lab_->wait_echo("a", c_)) << "no echo from C before any shaping";
  }
  void TearDown() override {
    agent_.reset();
    echo_b_.stop();
    echo_c_.stop();
    lab_.reset();
  }

  // Starts the agent in A and waits for its ready line.
  std::string start_shaper(std::vector<std::string> flags) {
    std::vector<std::string> argv = {agent_binary(), "shape", "--queue", std::to_string(queue_), "--seed", "7"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    agent_ = std::make_unique<LabProcess>(lab_->ns("a"), argv);
    std::optional<std::string> ready = agent_->read_line(5000);
    if (!ready) {
      int rc = agent_->wait(2000);
      ADD_FAILURE() << "no ready line; exit " << rc << ": " << agent_->stderr_text();
      return "";
    }
    return *ready;
  }

  // SIGTERM, then the stats line; expects exit 0.
  std::string stop_shaper() {
    agent_->signal(SIGTERM);
    std::optional<std::string> stats = agent_->read_line(5000);
    EXPECT_EQ(agent_->wait(5000), 0) << agent_->stderr_text();
    return stats.value_or("");
  }

  std::string ruleset_of_a() {
    auto [rc, out] = testing::lab_run({"ip", "netns", "exec", lab_->ns("a"), "nft", "list", "ruleset"});
    EXPECT_EQ(rc, 0) << out;
    return out;
  }

  std::unique_ptr<NetnsLab> lab_;
  std::unique_ptr<LabProcess> agent_;
  LabChild echo_b_, echo_c_;
  std::string b_, c_;
  std::uint16_t queue_ = 5;
};

// What the controller will run: shape_agent_args' command line is accepted,
// its ready and stats lines parse.
TEST_F(ShaperLab, ControllerCommandLineAndLinesWorkEndToEnd) {
  ShaperOptions o;
  o.queue = 5;
  o.destinations = {b_};
  o.seed = 3;
  o.params.delay = 30ms;
  o.params.jitter = 5ms;
  o.params.loss = 0.1;
  o.params.loss_correlation = 0.25;
  std::vector<std::string> argv = shape_agent_args(o, 20);
  argv.insert(argv.begin(), agent_binary());
  agent_ = std::make_unique<LabProcess>(lab_->ns("a"), argv);
  std::optional<std::string> line = agent_->read_line(5000);
  ASSERT_TRUE(line.has_value()) << agent_->stderr_text();
  auto ready = parse_shape_ready_line(*line);
  ASSERT_TRUE(ready.has_value()) << *line;
  EXPECT_EQ(ready->destinations, std::vector<std::string>{b_});
  EXPECT_EQ(ready->mechanism, "nfqueue");
  std::vector<double> rtts = lab_->probe_rtts("a", b_, 20, 300);
  auto stats = parse_shaper_stats_line(stop_shaper());
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->seen, 20u);
  EXPECT_EQ(stats->dropped, static_cast<std::uint64_t>(20 - answered(rtts)));
  EXPECT_EQ(stats->delayed + stats->dropped, 20u);
}

TEST_F(ShaperLab, DelayHitsTheTargetedDestinationOnly) {
  std::string ready = start_shaper({"--dst", b_, "--delay-ms", "100"});
  EXPECT_EQ(ready.rfind("shaping queue=5 dst=" + b_ + " mechanism=nfqueue", 0), 0u) << ready;
  std::vector<double> to_b = lab_->probe_rtts("a", b_, 5);
  std::vector<double> to_c = lab_->probe_rtts("a", c_, 5);
  ASSERT_EQ(answered(to_b), 5);
  ASSERT_EQ(answered(to_c), 5);
  EXPECT_GE(*std::min_element(to_b.begin(), to_b.end()), 100.0);
  EXPECT_LT(median(to_b), 160.0);
  EXPECT_LT(median(to_c), 20.0) << "untargeted traffic must not be delayed";
  std::string stats = stop_shaper();
  EXPECT_GE(stat_of(stats, "delayed"), 5) << stats;
}

TEST_F(ShaperLab, NormalJitterSpreadsTheDelay) {
  start_shaper({"--dst", b_, "--delay-ms", "60", "--jitter-ms", "20", "--distribution", "normal"});
  std::vector<double> rtts = lab_->probe_rtts("a", b_, 40);
  ASSERT_EQ(answered(rtts), 40);
  double lo = *std::min_element(rtts.begin(), rtts.end());
  double hi = *std::max_element(rtts.begin(), rtts.end());
  EXPECT_LT(lo, 50.0) << "some probes must be delayed less than 60 - 10 ms";
  EXPECT_GT(hi, 70.0) << "some probes must be delayed more than 60 + 10 ms";
  EXPECT_NEAR(median(rtts), 60.0, 15.0);
  stop_shaper();
}

TEST_F(ShaperLab, SigtermRemovesTheRulesAndRestoresBaseline) {
  start_shaper({"--dst", b_ + "," + c_, "--delay-ms", "100"});
  EXPECT_NE(ruleset_of_a().find("faultline_shape_5"), std::string::npos) << "rules not visible while shaping";
  EXPECT_GE(median(lab_->probe_rtts("a", c_, 3)), 100.0) << "both listed destinations are shaped";
  std::string stats = stop_shaper();
  EXPECT_EQ(stats.rfind("stopped queue=5 seen=", 0), 0u) << stats;
  EXPECT_EQ(ruleset_of_a().find("faultline_shape_"), std::string::npos) << ruleset_of_a();
  std::vector<double> to_b = lab_->probe_rtts("a", b_, 5);
  EXPECT_EQ(answered(to_b), 5);
  EXPECT_LT(median(to_b), 20.0);
}

// Packets held when SIGTERM arrives are accepted early, not lost.
TEST_F(ShaperLab, StopReleasesHeldPackets) {
  start_shaper({"--dst", b_, "--delay-ms", "3000"});
  // A helper process stops the shaper while the burst's 20 datagrams are held.
  pid_t pid = ::fork();
  if (pid == 0) {
    ::usleep(500 * 1000);
    ::kill(agent_->pid(), SIGTERM);
    ::_exit(0);
  }
  std::vector<LabArrival> got = lab_->burst("a", b_, 20, 64, 0, 1500);
  ::waitpid(pid, nullptr, 0);
  std::optional<std::string> stats = agent_->read_line(5000);
  EXPECT_EQ(agent_->wait(5000), 0);
  EXPECT_EQ(got.size(), 20u) << "held packets must be released at stop";
  for (const LabArrival& a : got) EXPECT_LT(a.at_ms, 2500.0) << "released at stop, not after the full delay";
  EXPECT_EQ(stat_of(stats.value_or(""), "released_at_stop"), 20) << stats.value_or("");
}

TEST_F(ShaperLab, HalfLossDropsBetweenThirtyAndSeventyPercent) {
  start_shaper({"--dst", b_, "--loss", "50%"});
  std::vector<double> rtts = lab_->probe_rtts("a", b_, 200, 25);
  ASSERT_EQ(rtts.size(), 200u);
  int lost = 200 - answered(rtts);
  EXPECT_GE(lost, 60);
  EXPECT_LE(lost, 140);
  EXPECT_EQ(answered(lab_->probe_rtts("a", c_, 20, 200)), 20) << "C must lose nothing";
  std::string stats = stop_shaper();
  EXPECT_EQ(stat_of(stats, "dropped"), lost) << "every lost probe was a shaper drop: " << stats;
}

TEST_F(ShaperLab, ReorderedDatagramsOvertakeDelayedOnes) {
  start_shaper({"--dst", b_, "--delay-ms", "40", "--reorder", "0.3"});
  std::vector<LabArrival> got = lab_->burst("a", b_, 100, 64, 1, 300);
  ASSERT_EQ(got.size(), 100u) << "reorder must not lose packets";
  int inversions = 0;
  for (std::size_t i = 1; i < got.size(); ++i) inversions += got[i].seq < got[i - 1].seq;
  EXPECT_GT(inversions, 5) << "sequence numbers should arrive out of order";
  std::string stats = stop_shaper();
  long reordered = stat_of(stats, "reordered");
  EXPECT_GT(reordered, 10) << stats;
  EXPECT_LT(reordered, 55) << stats;
}

TEST_F(ShaperLab, RateSpacesABurstByItsTransmissionTime) {
  // 40 datagrams of 1000 bytes (1028 on the wire) at 800 kbit/s: ~10.3 ms each.
  std::vector<LabArrival> unshaped = lab_->burst("a", b_, 40, 1000, 0, 300);
  ASSERT_EQ(unshaped.size(), 40u);
  start_shaper({"--dst", b_, "--rate-kbit", "800"});
  std::vector<LabArrival> got = lab_->burst("a", b_, 40, 1000, 0, 300);
  ASSERT_EQ(got.size(), 40u);
  double spread = got.back().at_ms - got.front().at_ms;
  EXPECT_GE(spread, 350.0) << "39 gaps of ~10 ms expected";
  EXPECT_LT(spread, 700.0);
  EXPECT_LT(unshaped.back().at_ms - unshaped.front().at_ms, 100.0);
  stop_shaper();
}

// The node protocol is TCP: a transfer through delay, loss and reorder (its
// large sends arrive as segmented GSO packets) must complete intact.
TEST_F(ShaperLab, TcpTransferCompletesThroughDelayLossAndReorder) {
  LabChild counter = lab_->tcp_counter("c");  // C: the echo there is UDP, same port number is free for TCP
  auto baseline = lab_->tcp_send("a", c_, 1 << 20);
  ASSERT_TRUE(baseline.has_value()) << "TCP to C does not work even unshaped";
  start_shaper({"--dst", c_, "--delay-ms", "10", "--loss", "2%", "--reorder", "10%"});
  auto shaped = lab_->tcp_send("a", c_, 4 << 20);
  ASSERT_TRUE(shaped.has_value()) << "TCP transfer did not finish through the shaper";
  EXPECT_EQ(shaped->first, 4u << 20) << "every byte must arrive";
  std::string stats = stop_shaper();
  EXPECT_GT(stat_of(stats, "dropped"), 0) << stats;
  EXPECT_GT(stat_of(stats, "reordered"), 0) << stats;
  EXPECT_GT(stat_of(stats, "delayed"), 100) << stats;
}

// A flipped bit after the IP header breaks the UDP checksum: B's kernel
// drops the datagram and counts it (InCsumErrors), as with netem's corrupt.
TEST_F(ShaperLab, CorruptedDatagramsFailTheirChecksumAtTheReceiver) {
  auto csum_errors = [&] {
    auto out = lab_->in_ns("b", [] {
      std::ifstream snmp("/proc/self/net/snmp");
      std::string header, values, line;
      while (std::getline(snmp, line)) {
        if (line.rfind("Udp:", 0) != 0) continue;
        if (header.empty()) {
          header = line;
        } else {
          values = line;
        }
      }
      std::istringstream h(header), v(values);
      for (std::string name, value; h >> name && v >> value;) {
        if (name == "InCsumErrors") return value;
      }
      return std::string("!no InCsumErrors");
    });
    return out ? std::stol(*out) : -1L;
  };
  long before = csum_errors();
  ASSERT_GE(before, 0);
  start_shaper({"--dst", b_, "--corrupt", "100%"});
  std::vector<double> rtts = lab_->probe_rtts("a", b_, 10, 100);
  EXPECT_EQ(answered(rtts), 0) << "every datagram corrupted, none echoed";
  std::string stats = stop_shaper();
  EXPECT_EQ(stat_of(stats, "corrupted"), 10) << stats;
  EXPECT_EQ(csum_errors() - before, 10) << "B's kernel must see 10 bad checksums";
}

// Each datagram arrives twice; the copies carry the shaper's mark, so they
// are not queued (and duplicated) again.
TEST_F(ShaperLab, DuplicatedDatagramsArriveTwice) {
  start_shaper({"--dst", b_, "--duplicate", "100%"});
  std::vector<LabArrival> got = lab_->burst("a", b_, 20, 64, 2, 300);
  std::map<std::uint32_t, int> copies;
  for (const LabArrival& a : got) ++copies[a.seq];
  EXPECT_EQ(got.size(), 40u);
  EXPECT_EQ(copies.size(), 20u);
  for (const auto& [seq, n] : copies) EXPECT_EQ(n, 2) << "datagram " << seq;
  std::string stats = stop_shaper();
  EXPECT_EQ(stat_of(stats, "duplicated"), 20) << stats;
  EXPECT_EQ(stat_of(stats, "seen"), 20) << "copies must bypass the queue: " << stats;
}

// The rule says bypass: with the shaper SIGKILLed (its rules left behind),
// traffic flows unshaped instead of being black-holed; remove_shape_rules()
// then cleans up what the dead shaper left.
TEST_F(ShaperLab, KilledShaperLeavesTrafficFlowingAndCleanupRemovesItsRules) {
  start_shaper({"--dst", b_, "--delay-ms", "100"});
  ASSERT_GE(median(lab_->probe_rtts("a", b_, 3)), 100.0);
  agent_->signal(SIGKILL);
  EXPECT_EQ(agent_->wait(3000), 128 + SIGKILL);
  EXPECT_NE(ruleset_of_a().find("faultline_shape_5"), std::string::npos) << "a killed shaper cannot remove its rules";
  std::vector<double> to_b = lab_->probe_rtts("a", b_, 10);
  EXPECT_EQ(answered(to_b), 10) << "bypass must let traffic through";
  EXPECT_LT(median(to_b), 20.0);
  auto cleaned = lab_->in_ns("a", [] {
    Status st = remove_shape_rules(5);
    return st ? std::string("ok") : "!" + st.error;
  });
  EXPECT_EQ(cleaned.value_or("failed"), "ok");
  EXPECT_EQ(ruleset_of_a().find("faultline_shape_"), std::string::npos);
}

TEST_F(ShaperLab, SecondShaperOnABusyQueueFailsWithExitOne) {
  start_shaper({"--dst", b_, "--delay-ms", "50"});
  LabProcess second(lab_->ns("a"), {agent_binary(), "shape", "--queue", "5", "--dst", c_, "--delay-ms", "50"});
  EXPECT_EQ(second.wait(5000), 1);
  EXPECT_NE(second.stderr_text().find("queue 5"), std::string::npos) << second.stderr_text();
  EXPECT_LT(median(lab_->probe_rtts("a", c_, 3)), 20.0) << "the refused shaper must not have installed rules";
  EXPECT_GE(median(lab_->probe_rtts("a", b_, 3)), 50.0) << "the first shaper keeps working";
  stop_shaper();
}

// Overload never black-holes: once the kernel queue holds --queue-max
// packets awaiting a verdict, the kernel accepts the rest unshaped
// (fail-open) instead of dropping them.
TEST_F(ShaperLab, OverloadedQueueFailsOpenInsteadOfDropping) {
  start_shaper({"--dst", b_, "--delay-ms", "400", "--queue-max", "20"});
  std::vector<LabArrival> got = lab_->burst("a", b_, 100, 64, 0, 600);
  EXPECT_EQ(got.size(), 100u) << "nothing may be lost to overload";
  long early = std::count_if(got.begin(), got.end(), [](const LabArrival& a) { return a.at_ms < 200; });
  long late = std::count_if(got.begin(), got.end(), [](const LabArrival& a) { return a.at_ms >= 400; });
  EXPECT_GE(early, 60) << "the excess must pass at once, unshaped";
  EXPECT_GE(late, 10) << "what fitted in the queue is still delayed";
  EXPECT_LE(late, 25);
  stop_shaper();
}

// --rules nft needs the kernel's nft `queue` expression (CONFIG_NFT_QUEUE),
// which some kernels (this project's CI) lack: then the shaper must fail with
// exit 1 and a clear message, leaving no table; else it must shape.
TEST_F(ShaperLab, NftRulesShapeOrFailCleanly) {
  LabProcess nft(lab_->ns("a"), {agent_binary(), "shape", "--queue", "6", "--dst", b_, "--delay-ms", "100",
                                 "--rules", "nft"});
  std::optional<std::string> ready = nft.read_line(5000);
  if (ready) {
    EXPECT_NE(ready->find("rules=nft"), std::string::npos) << *ready;
    EXPECT_GE(median(lab_->probe_rtts("a", b_, 3)), 100.0);
    nft.signal(SIGTERM);
    EXPECT_EQ(nft.wait(5000), 0);
  } else {
    EXPECT_EQ(nft.wait(5000), 1);
    EXPECT_NE(nft.stderr_text().find("nft could not add the NFQUEUE rules"), std::string::npos)
        << nft.stderr_text();
  }
  EXPECT_EQ(ruleset_of_a().find("faultline_shape_6"), std::string::npos) << "nothing may be left behind";
  EXPECT_LT(median(lab_->probe_rtts("a", b_, 3)), 20.0);
}

TEST_F(ShaperLab, IptablesRulesAreUsedWhenAsked) {
  std::string ready = start_shaper({"--dst", b_, "--delay-ms", "100", "--rules", "iptables"});
  EXPECT_NE(ready.find("rules=iptables"), std::string::npos) << ready;
  auto [rc, rules] = testing::lab_run({"ip", "netns", "exec", lab_->ns("a"), "iptables", "-S", "faultline_shape_5"});
  EXPECT_EQ(rc, 0) << rules;
  EXPECT_NE(rules.find("--queue-bypass"), std::string::npos) << rules;
  EXPECT_GE(median(lab_->probe_rtts("a", b_, 3)), 100.0);
  stop_shaper();
  EXPECT_NE(testing::lab_run({"ip", "netns", "exec", lab_->ns("a"), "iptables", "-S", "faultline_shape_5"}).first, 0)
      << "the chain must be gone";
}

TEST_F(ShaperLab, DurationEndsTheShaperByItself) {
  start_shaper({"--dst", b_, "--delay-ms", "50", "--duration-s", "0.5"});
  std::optional<std::string> stats = agent_->read_line(5000);
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->rfind("stopped queue=5", 0), 0u) << *stats;
  EXPECT_EQ(agent_->wait(3000), 0);
  EXPECT_EQ(ruleset_of_a().find("faultline_shape_"), std::string::npos);
}

TEST(ShaperAgentFlags, BadFlagsExitTwoWithTheFlagNamed) {
  struct Case {
    std::vector<std::string> args;
    std::string mentions;
  };
  for (const Case& c : std::vector<Case>{
           {{"--queue", "5", "--dst", "10.1.1.1", "--loss", "1.5"}, "--loss"},
           {{"--queue", "5", "--dst", "10.1.1.1", "--loss", "lots"}, "--loss"},
           {{"--queue", "5", "--dst", "10.1.1.999"}, "--dst"},
           {{"--queue", "70000", "--dst", "10.1.1.1"}, "--queue"},
           {{"--queue", "5", "--dst", "10.1.1.1", "--reorder", "0.2"}, "--delay-ms"},
           {{"--queue", "5", "--dst", "10.1.1.1", "--distribution", "pareto", "--jitter-ms", "5"}, "--distribution"},
           {{"--dst", "10.1.1.1"}, "--queue"},
       }) {
    std::vector<std::string> argv = {agent_binary(), "shape"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto [rc, out] = testing::lab_run(argv);
    EXPECT_EQ(rc, 2) << out;
    EXPECT_NE(out.find(c.mentions), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace faultline::nemesis
