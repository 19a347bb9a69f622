#include "faultline/reports/report_model.h"

#include <gtest/gtest.h>

#include "report_fixture.h"

namespace faultline::reports {
namespace {

using testing::HistoryBuilder;
using testing::kMs;

ReportInput fixture_input() {
  ReportInput in;
  in.history = testing::stale_read_history();
  in.results = testing::results_for(in.history);
  in.config = testing::config_json();
  return in;
}

TEST(FaultWindows, PairsStartsWithStopsAndKeepsUnclosedWindowsOpenToTheEnd) {
  HistoryBuilder b;
  b.fault(history::FaultPhase::kStart, "pause", {"n1"}, Json::object(), 100)
      .fault(history::FaultPhase::kStart, "pause", {"n2"}, Json::object(), 200)
      .fault(history::FaultPhase::kStop, "pause", {"n2"}, Json::object(), 300)  // names n2: ends n2's window
      .fault(history::FaultPhase::kStop, "kill", {}, Json::object(), 350)       // no start: ignored
      .fault(history::FaultPhase::kStop, "pause", {}, Json::object(), 400)      // ends the earliest open pause
      .fault(history::FaultPhase::kStart, "partition", {"n1", "n2", "n3"}, testing::partition_params(), 500)
      .op(0, "write", 1, 450, 900);
  const auto w = fault_windows(b.build());
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].nodes, std::vector<std::string>{"n1"});
  EXPECT_EQ(w[0].start, 100 * kMs);
  EXPECT_EQ(w[0].stop, 400 * kMs);
  EXPECT_EQ(w[1].nodes, std::vector<std::string>{"n2"});
  EXPECT_EQ(w[1].stop, 300 * kMs);
  EXPECT_EQ(w[2].fault, "partition");
  EXPECT_TRUE(w[2].open);
  EXPECT_EQ(w[2].stop, 900 * kMs) << "an unclosed window lasts to the last event";
}

TEST(FaultWindows, LabelsNamePartitionSidesPacketParamsAndClockOffsets) {
  FaultWindow p{.fault = "partition", .nodes = {"n1", "n2", "n3"}, .params = testing::partition_params()};
  EXPECT_EQ(p.label(), "partition (majority) n1 n2 | n3");
  FaultWindow k{.fault = "packet", .nodes = {"n1"}, .params = {{"mechanism", "netem"}, {"delay_ms", 100}}};
  EXPECT_EQ(k.label(), "packet (netem, 100 ms) n1");
  FaultWindow c{.fault = "clock", .nodes = {"n2"}, .params = {{"offsets_ms", {{"n2", -250}}}}};
  EXPECT_EQ(c.label(), "clock (n2 -250 ms) n2");
}

TEST(AnomalySentence, NamesTheFaultsActiveAroundIt) {
  FaultWindow p{.fault = "partition", .nodes = {"n1", "n2", "n3"}, .params = testing::partition_params(),
                .start = 900 * kMs, .stop = 2000 * kMs};
  EXPECT_EQ(anomaly_sentence("lost", "element 417 was acknowledged at 12.3 s and missing from every read", {}, {p}),
            "Element 417 was acknowledged at 12.3 s and missing from every read, while partition (majority) n1 n2 | n3 "
            "(0.900 s–2.0 s) was active.");
  EXPECT_EQ(anomaly_sentence("lost", "element 3 was lost", {}, {}), "Element 3 was lost; no fault was active around it.");
}

TEST(AnomalySentence, WithoutADescriptionSaysKindCountAndSpan) {
  std::vector<WitnessOp> ops = {{.start = 1200 * kMs, .end = 1300 * kMs}, {.start = 1250 * kMs, .end = 3500 * kMs}};
  EXPECT_EQ(anomaly_sentence("nonlinearizable", "", ops, {}),
            "Nonlinearizable witnessed by 2 operations between 1.2 s and 3.5 s; no fault was active around it.");
}

TEST(ReportModel, StaleReadUnderAPartitionFromTheRealCheckers) {
  const ReportInput in = fixture_input();
  const ReportModel m = build_model(in);
  EXPECT_EQ(m.verdict, "invalid");
  EXPECT_EQ(m.workload, "register");
  EXPECT_EQ(m.preset, "r1w1");
  EXPECT_EQ(m.seed, 42u);
  EXPECT_EQ(m.commit, "0123456789abcdef");
  EXPECT_EQ(m.ok, 7);
  ASSERT_EQ(m.windows.size(), 2u);
  EXPECT_EQ(m.windows[0].fault, "partition");
  EXPECT_EQ(m.windows[1].fault, "clock");
  ASSERT_FALSE(m.anomalies.empty());
  const AnomalyView* stale = nullptr;
  for (const auto& a : m.anomalies)
    if (a.kind == "stale-read") stale = &a;
  ASSERT_NE(stale, nullptr) << "the stale-read checker must report the read of 1 at 1.5 s";
  // Witnesses resolved to operations: the write of 1, the write of 2, the read.
  ASSERT_EQ(stale->witness.size(), 3u);
  EXPECT_EQ(stale->witness[0].f, "write");
  EXPECT_EQ(stale->witness[0].value, "1");
  EXPECT_EQ(stale->witness[2].f, "read");
  EXPECT_EQ(stale->witness[2].process, 2);
  EXPECT_EQ(stale->from, 500 * kMs);
  EXPECT_EQ(stale->to, 1600 * kMs);
  ASSERT_EQ(stale->faults.size(), 1u);
  EXPECT_EQ(stale->faults[0].fault, "partition");
  EXPECT_NE(stale->sentence.find("while partition (majority) n1 n2 | n3 (0.900 s–2.0 s) was active."),
            std::string::npos)
      << stale->sentence;
}

TEST(ReportModel, LostElementSentenceFromTheSetCheckerNamesThePartition) {
  HistoryBuilder b("set");
  b.op(0, "add", 1, 100, 200)
      .op(1, "add", 2, 300, 400)
      .op(2, "read", Json::array({1, 2}), 500, 600)
      .fault(history::FaultPhase::kStart, "partition", {"n1", "n2", "n3"}, testing::partition_params(), 700)
      .op(0, "read", Json::array({1}), 800, 900)
      .fault(history::FaultPhase::kStop, "partition", {}, Json::object(), 1500)
      .op(1, "read", Json::array({1}), 2000, 2100);
  ReportInput in;
  in.history = b.build();
  in.results = testing::results_for(in.history, "set");
  const ReportModel m = build_model(in);
  EXPECT_EQ(m.verdict, "invalid");
  const AnomalyView* lost = nullptr;
  for (const auto& a : m.anomalies)
    if (a.kind == "lost") lost = &a;
  ASSERT_NE(lost, nullptr) << in.results.dump(2);
  EXPECT_EQ(lost->sentence.rfind("Key \"k1\" element 2 was acknowledged at 400.000 ms", 0), 0u) << lost->sentence;
  EXPECT_NE(lost->sentence.find("including the final read"), std::string::npos) << lost->sentence;
  EXPECT_NE(lost->sentence.find(", while partition (majority) n1 n2 | n3 (0.700 s–1.5 s) was active."),
            std::string::npos)
      << lost->sentence;
}

TEST(ReportModel, ExpectedAnomaliesComeAfterTheUnexpectedOnes) {
  ReportInput in = fixture_input();
  ASSERT_GE(in.results["results"].size(), 1u);
  Json& first = in.results["results"][0]["anomalies"];
  ASSERT_FALSE(first.empty());
  first[0]["expected"] = true;
  first.push_back({{"kind", "lost"}, {"description", "element 9 was lost"}, {"witness", {0, 1}}});
  const ReportModel m = build_model(in);
  ASSERT_GE(m.anomalies.size(), 2u);
  EXPECT_FALSE(m.anomalies.front().expected);
  EXPECT_TRUE(m.anomalies.back().expected);
}

TEST(ReportModel, TrueCountsAndTheExpectedLabelComeFromTheResults) {
  ReportInput in = fixture_input();
  in.results["verdict"] = "invalid";
  in.results["expected"] = true;
  in.results["headline"] = "INVALID \u2014 expected for r1w1: stale reads";
  in.results["anomalies"] = {{"stale-read", 1494}};
  const ReportModel m = build_model(in);
  EXPECT_TRUE(m.expected);
  EXPECT_EQ(m.headline, "INVALID \u2014 expected for r1w1: stale reads");
  EXPECT_EQ(m.counts.at("stale-read"), 1494);
  EXPECT_EQ(m.anomalies_omitted, 1494 - static_cast<std::int64_t>(m.anomalies.size()));
}

TEST(ReportModel, ClockOffsetsStepFromClockWindows) {
  const ReportModel m = build_model(fixture_input());
  ASSERT_EQ(m.clock.count("n2"), 1u);
  const auto& steps = m.clock.at("n2");
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0], std::make_pair(std::int64_t{3000 * kMs}, 300.0));
  EXPECT_EQ(steps[1], std::make_pair(std::int64_t{4000 * kMs}, 0.0));
}

TEST(ReportModel, MembershipChangesFromNodeLogsOnTheRunsClock) {
  ReportInput in = fixture_input();
  const std::string log = testing::log_line("n1", 1300, "membership", {{"member", "n3"}, {"state", "suspect"}}) +
                          "\nnot json at all\n" + testing::log_line("n1", 2300, "member_state", {{"member", "n3"}, {"state", "alive"}}) + "\n";
  in.logs["n1"] = parse_node_log("n1", log, testing::kOrigin);
  ASSERT_EQ(in.logs["n1"].size(), 3u);
  EXPECT_EQ(in.logs["n1"][1].event, "text");
  const ReportModel m = build_model(in);
  EXPECT_TRUE(m.logs_aligned);
  ASSERT_EQ(m.membership.size(), 2u);
  EXPECT_EQ(m.membership[0].time, 1300 * kMs);
  EXPECT_EQ(m.membership[0].observer, "n1");
  EXPECT_EQ(m.membership[0].member, "n3");
  EXPECT_EQ(m.membership[0].state, "suspect");
  EXPECT_EQ(m.membership[1].state, "alive");
}

TEST(ReportModel, ThroughputBucketsCountEveryCompletion) {
  const ReportModel m = build_model(fixture_input());
  std::int64_t ok = 0;
  for (const auto& b : m.buckets) ok += b.ok;
  EXPECT_EQ(ok, m.ok);
  EXPECT_GT(m.bucket_ns, 0);
}

TEST(ReportModel, OddInputNeverThrows) {
  ReportInput in;
  in.history = testing::stale_read_history();
  in.results = {{"results", {{{"checker", "x"}, {"anomalies", {{{"kind", "weird"}, {"witness", {123456, "bad"}}}}}}}}};
  const ReportModel m = build_model(in);
  EXPECT_EQ(m.verdict, "unknown");
  ASSERT_EQ(m.anomalies.size(), 1u);
  EXPECT_TRUE(m.anomalies[0].witness.empty()) << "indices not in the history are skipped";
  EXPECT_EQ(m.replay, "") << "no config.json, no replay command";
}

TEST(ReplayCommand, RebuildsTheRunsFlags) {
  EXPECT_EQ(replay_command(testing::config_json()),
            "faultline run --nodes 3 --backend netns --workload register --nemesis partition,clock --time-limit 5.0 "
            "--rate 0.0 --concurrency 0 --delete-fraction 0 --seed 42 --store-preset r1w1 --store-opt read_repair=none "
            "--recovery 10.0 --op-timeout 1.0")
      << "a register run recorded before deletes had none";
  auto c = testing::config_json();
  c["nemesis_interval_s"] = 2.5;
  c["nemesis_targets"] = {"one", "all"};
  c["packet_faults"] = nlohmann::json::array();
  const std::string replay = replay_command(c);
  EXPECT_NE(replay.find("--nemesis partition,clock --nemesis-interval 2.5 --nemesis-targets one,all --time-limit"),
            std::string::npos)
      << replay;
  EXPECT_EQ(replay.find("--packet-faults"), std::string::npos) << replay;
  // The register workload's own knobs, when the run recorded them.
  c["delete_fraction"] = 0.5;
  c["ops_per_key"] = 20;
  EXPECT_NE(replay_command(c).find("--concurrency 0 --delete-fraction 0.5 --ops-per-key 20 --seed 42"), std::string::npos)
      << replay_command(c);
  c["workload"] = "set";
  EXPECT_EQ(replay_command(c).find("--delete-fraction"), std::string::npos) << replay_command(c);
}

}  // namespace
}  // namespace faultline::reports
