// The event model and its JSON Lines form: every event survives a round trip.
#include <gtest/gtest.h>

#include <limits>

#include "faultline/history/event.h"
#include "faultline/history/jsonl.h"
#include "history_test_files.h"

namespace faultline::history {
namespace {

Op make_op(std::int64_t index, std::int64_t process, OpType type, std::string f, Json value) {
  Op op;
  op.index = index;
  op.time = index * 1000 + 7;
  op.process = process;
  op.type = type;
  op.f = std::move(f);
  op.value = std::move(value);
  return op;
}

// Decodes exactly one line through the streaming reader.
Event decode_line(const std::string& line) {
  HistoryReader reader = HistoryReader::from_text(line + "\n");
  Event e;
  EXPECT_TRUE(reader.next(e)) << line;
  Event extra;
  EXPECT_FALSE(reader.next(extra));
  return e;
}

TEST(EventModel, OpTypeNamesRoundTrip) {
  for (OpType t : {OpType::kInvoke, OpType::kOk, OpType::kFail, OpType::kInfo}) {
    EXPECT_EQ(parse_op_type(to_string(t)), t);
  }
  EXPECT_FALSE(parse_op_type("Ok").has_value());
  EXPECT_FALSE(parse_op_type("").has_value());
  for (FaultPhase p : {FaultPhase::kStart, FaultPhase::kStop}) EXPECT_EQ(parse_fault_phase(to_string(p)), p);
  EXPECT_FALSE(parse_fault_phase("begin").has_value());
}

TEST(EventModel, OpLineHasTheDocumentedShape) {
  Op op = make_op(0, 3, OpType::kInvoke, "write", 3);
  op.time = 123;
  op.key = "k1";
  op.node = "n1";
  EXPECT_EQ(to_json_line(op),
            R"({"index":0,"time":123,"process":3,"type":"invoke","f":"write","key":"k1","value":3,"node":"n1"})");
  Op bare = make_op(4, 0, OpType::kOk, "read", nullptr);
  bare.time = 9;
  // key, node and error are left out when absent; value is always there.
  EXPECT_EQ(to_json_line(bare), R"({"index":4,"time":9,"process":0,"type":"ok","f":"read","value":null})");
}

TEST(EventModel, NemesisLineHasTheDocumentedShape) {
  NemesisEvent e;
  e.index = 5;
  e.time = 77;
  e.phase = FaultPhase::kStart;
  e.fault = "partition";
  e.nodes = {"n1"};
  e.params = Json{{"grudge", {{"n1", {"n2"}}}}};
  EXPECT_EQ(to_json_line(e),
            R"({"index":5,"time":77,"process":"nemesis","type":"info","f":"start","fault":"partition","nodes":["n1"],"value":{"grudge":{"n1":["n2"]}}})");
}

TEST(EventModel, OpsRoundTripThroughJsonLines) {
  std::vector<Op> ops;
  ops.push_back(make_op(0, 0, OpType::kInvoke, "read", nullptr));
  ops.push_back(make_op(1, 0, OpType::kOk, "read", 42));
  Op cas = make_op(2, 7, OpType::kInvoke, "cas", Json::array({1, 4}));
  cas.key = "k\"ey\\with\nodd\tbytes";
  cas.node = "n2";
  ops.push_back(cas);
  Op fail = make_op(3, 7, OpType::kFail, "cas", Json::array({1, 4}));
  fail.error = "precondition failed: expected 1";
  ops.push_back(fail);
  Op info = make_op(4, 9, OpType::kInfo, "add", Json{{"nested", {1, "two", nullptr, true, 2.5}}});
  info.error = "timeout \u00e9\u4e2d\U0001F600";
  ops.push_back(info);
  ops.push_back(make_op(5, 1, OpType::kOk, "txn", Json::array({Json::array({"r", 1, nullptr})})));
  ops.push_back(make_op(6, 2, OpType::kOk, "big", Json(std::numeric_limits<std::int64_t>::min())));
  ops.push_back(make_op(7, 2, OpType::kOk, "big", Json(std::numeric_limits<std::uint64_t>::max())));
  ops.push_back(make_op(8, 2, OpType::kOk, "float", 0.1));
  Op empty_key = make_op(9, 3, OpType::kInvoke, "read", "");
  empty_key.key = "";  // an empty key is still a key
  ops.push_back(empty_key);
  Op control = make_op(10, 3, OpType::kOk, "read", std::string("\x01\x1f nul:\0!", 9));
  ops.push_back(control);

  for (const Op& op : ops) {
    const Event e = decode_line(to_json_line(op));
    ASSERT_TRUE(std::holds_alternative<Op>(e)) << to_json_line(op);
    EXPECT_EQ(std::get<Op>(e), op) << to_json_line(op);
  }
}

TEST(EventModel, NemesisEventsRoundTrip) {
  NemesisEvent start;
  start.index = 12;
  start.time = 5'000'000'000;
  start.phase = FaultPhase::kStart;
  start.fault = "netem";
  start.nodes = {"n1", "n3"};
  start.params = Json{{"delay_ms", 50}, {"jitter_ms", 5.5}, {"loss", 0.1}};
  NemesisEvent stop = start;
  stop.index = 13;
  stop.phase = FaultPhase::kStop;
  stop.nodes.clear();
  stop.params = nullptr;
  for (const NemesisEvent& e : {start, stop}) {
    const Event decoded = decode_line(to_json_line(e));
    ASSERT_TRUE(std::holds_alternative<NemesisEvent>(decoded));
    EXPECT_EQ(std::get<NemesisEvent>(decoded), e);
  }
}

TEST(EventModel, InvalidUtf8IsRepairedSoTheLineStaysReadable) {
  Op op = make_op(0, 0, OpType::kOk, "read", std::string("bad \xff\xfe bytes"));
  op.error = "also \xc3";
  op.node = "n\x80";
  const Event e = decode_line(to_json_line(op));
  const Op& back = std::get<Op>(e);
  EXPECT_EQ(back.value, "bad \uFFFD\uFFFD bytes");
  EXPECT_EQ(back.error, "also \uFFFD");
  EXPECT_EQ(back.node, "n\uFFFD");
}

TEST(EventModel, WholeHistoryRoundTripsThroughAFile) {
  testing::ScratchDir dir;
  History h;
  h.meta = Json{{"workload", "register"}, {"seed", 7}, {"nodes", {"n1", "n2"}}};
  h.ops.push_back(make_op(0, 0, OpType::kInvoke, "write", 1));
  NemesisEvent e;
  e.index = 1;
  e.time = 1500;
  e.fault = "kill";
  e.nodes = {"n2"};
  h.nemesis.push_back(e);
  h.ops.push_back(make_op(2, 0, OpType::kOk, "write", 1));
  e.index = 3;
  e.phase = FaultPhase::kStop;
  h.nemesis.push_back(e);
  const std::string path = dir.file("h.jsonl");
  write_jsonl(path, h);
  const History back = read_jsonl(path);
  EXPECT_EQ(back.meta, h.meta);
  EXPECT_EQ(back.ops, h.ops);
  EXPECT_EQ(back.nemesis, h.nemesis);
}

}  // namespace
}  // namespace faultline::history
