// The Jepsen importers, over every conformance file and hand-written cases.
#include <gtest/gtest.h>

#include <fstream>

#include "faultline/history/jepsen.h"
#include "faultline/history/load.h"
#include "history_test_files.h"

namespace faultline::history {
namespace {

using testing::conformance_files;
using testing::slurp;

std::size_t count_lines_containing(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (std::string_view(text).substr(start, end - start).find(needle) != std::string_view::npos) ++n;
    start = end + 1;
  }
  return n;
}

HistoryError error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const HistoryError& e) {
    return e;
  }
  ADD_FAILURE() << "no HistoryError";
  return HistoryError({}, "none");
}

TEST(JepsenLogConformance, EveryLogLoadsPairsAndKeepsEveryOpLine) {
  const auto files = conformance_files("jepsen", ".log");
  ASSERT_GE(files.size(), 100u) << "conformance histories missing under " << testing::conformance_dir();
  std::size_t timed_out_reads = 0;
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    EXPECT_EQ(detect_format(path), Format::kJepsenLog);
    LoadInfo info;
    const History h = load_history(path, Format::kAuto, &info);
    const std::string text = slurp(path);
    EXPECT_EQ(h.ops.size(), count_lines_containing(text, "jepsen.util"));
    EXPECT_TRUE(h.nemesis.empty());
    EXPECT_EQ(info.format, Format::kJepsenLog);
    EXPECT_EQ(info.operations, count_lines_containing(text, ":invoke"));
    for (std::size_t i = 0; i < h.ops.size(); ++i) {
      const Op& op = h.ops[i];
      ASSERT_EQ(op.index, static_cast<std::int64_t>(i));
      ASSERT_EQ(op.time, static_cast<std::int64_t>(i));
      ASSERT_TRUE(op.f == "read" || op.f == "write" || op.f == "cas") << op.f;
      if (op.type == OpType::kInfo) {
        EXPECT_EQ(op.error, "timed-out");
        EXPECT_TRUE(op.value.is_null());
      }
      if (op.f == "cas" && op.type != OpType::kInfo) {
        ASSERT_TRUE(op.value.is_array() && op.value.size() == 2) << op.value;
      }
      if (op.f == "read" && op.type == OpType::kInfo) ++timed_out_reads;
    }
  }
  // ":fail :read :timed-out" lines exist in the corpus and become info.
  EXPECT_GT(timed_out_reads, 0u);
}

TEST(JepsenLogConformance, FirstLinesOfEtcd000) {
  const History h = load_history(testing::conformance_dir() + "/jepsen/etcd_000.log");
  ASSERT_GE(h.ops.size(), 3u);
  EXPECT_EQ(h.ops[0].process, 0);
  EXPECT_EQ(h.ops[0].type, OpType::kInvoke);
  EXPECT_EQ(h.ops[0].f, "read");
  EXPECT_TRUE(h.ops[0].value.is_null());
  EXPECT_EQ(h.ops[2].process, 2);
  EXPECT_EQ(h.ops[2].f, "write");
  EXPECT_EQ(h.ops[2].value, 4);
}

TEST(JepsenLogConformance, SpaceSeparatedLogReadsLikeTabSeparated) {
  // etcd_100.log uses runs of spaces where the others use tabs.
  const std::string path = testing::conformance_dir() + "/jepsen/etcd_100.log";
  const std::string text = slurp(path);
  ASSERT_NE(text.find("jepsen.util - 1   :invoke"), std::string::npos);
  const History spaced = load_history(path);
  std::string tabbed = text;
  for (std::size_t p = 0; (p = tabbed.find("   ", p)) != std::string::npos;) {
    std::size_t q = p;
    while (q < tabbed.size() && tabbed[q] == ' ') ++q;
    tabbed.replace(p, q - p, "\t");
  }
  const History h = parse_history(tabbed, Format::kJepsenLog);
  EXPECT_EQ(spaced.ops, h.ops);
}

TEST(JepsenEdnConformance, EveryKvFileLoadsAndPairs) {
  const auto files = conformance_files("kv", ".txt");
  ASSERT_EQ(files.size(), 6u);
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    EXPECT_EQ(detect_format(path), Format::kEdn);
    LoadInfo info;
    const History h = load_history(path, Format::kAuto, &info);
    const std::string text = slurp(path);
    EXPECT_EQ(h.ops.size(), count_lines_containing(text, ":process"));
    EXPECT_EQ(info.operations, count_lines_containing(text, ":type :invoke"));
    for (const Op& op : h.ops) {
      ASSERT_TRUE(op.f == "get" || op.f == "put" || op.f == "append") << op.f;
      ASSERT_TRUE(op.key.has_value());
      ASSERT_TRUE(op.value.is_string() || op.value.is_null()) << op.value;
    }
  }
  const History first = load_history(testing::conformance_dir() + "/kv/c01-ok.txt");
  EXPECT_EQ(first.ops[0].f, "append");
  EXPECT_EQ(first.ops[0].key, "0");
  EXPECT_EQ(first.ops[0].value, "x 0 0 y");
}

TEST(JepsenEdn, VectorWithCommentsNestingTagsAndNemesis) {
  const std::string text = R"(; a Jepsen history, as knossos stores them
[{:process 0, :type :invoke, :f :write, :value 3, :time 10}
 {:process 0, :type :ok,     :f :write, :value 3, :time 20}
 ;; the nemesis: :info twice per op, the second is what it did
 {:process :nemesis, :type :info, :f :start-partition, :value :majority, :time 25}
 {:process :nemesis, :type :info, :f :start-partition,
  :value [:isolated {"n1" #{"n2" "n3"}, "n2" #{"n1"}}], :time 30}
 #jepsen.history.Op{:process 1, :type :invoke, :f :txn,
                    :value [[:r 1 nil] [:append 2 "a \"quoted\" \\ string"]], :time 40}
 #_ {:process 9, :type :invoke, :f :ignored}
 {:process 1, :type :info, :f :txn, :value :timed-out, :time 50, :error [:timeout "after 5s"]}
 {:process :nemesis, :type :invoke, :f :stop-partition, :time 60}
 {:process :nemesis, :type :info, :f :stop-partition, :value :network-healed, :time 70}
 {:process 2, :type :invoke, :f :read, :key 5, :value nil, :time 80, :node "n3"}
 {:process 2, :type :fail, :f :read, :key 5, :value :timed-out, :time 90}]
)";
  const History h = parse_history(text, Format::kAuto, "k.edn");
  ASSERT_EQ(h.ops.size(), 6u);
  ASSERT_EQ(h.nemesis.size(), 2u);
  // Positions count every op record, including the dropped nemesis invocations.
  EXPECT_EQ(h.ops[0].index, 0);
  EXPECT_EQ(h.ops[0].time, 10);
  EXPECT_EQ(h.ops[2].index, 4);
  EXPECT_EQ(h.ops[2].f, "txn");
  EXPECT_EQ(h.ops[2].value, Json::parse(R"([["r",1,null],["append",2,"a \"quoted\" \\ string"]])"));
  // An :info's keyword value is its error, unless it has one already.
  EXPECT_EQ(h.ops[3].type, OpType::kInfo);
  EXPECT_TRUE(h.ops[3].value.is_null());
  EXPECT_EQ(h.ops[3].error, "[:timeout \"after 5s\"]");
  EXPECT_EQ(h.ops[4].key, "5");
  EXPECT_EQ(h.ops[4].node, "n3");
  // A :fail that timed out is indeterminate.
  EXPECT_EQ(h.ops[5].type, OpType::kInfo);
  EXPECT_EQ(h.ops[5].error, "timed-out");

  const NemesisEvent& start = h.nemesis[0];
  EXPECT_EQ(start.phase, FaultPhase::kStart);
  EXPECT_EQ(start.fault, "partition");
  EXPECT_EQ(start.index, 3);
  EXPECT_EQ(start.time, 30);
  EXPECT_EQ(start.nodes, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(start.params, Json::parse(R"(["isolated",{"n1":["n2","n3"],"n2":["n1"]}])"));
  const NemesisEvent& stop = h.nemesis[1];
  EXPECT_EQ(stop.phase, FaultPhase::kStop);
  EXPECT_EQ(stop.fault, "partition");
  EXPECT_EQ(stop.time, 70);
}

TEST(JepsenEdn, ListsLooseMapsAndExplicitIndices) {
  EXPECT_EQ(parse_history("({:process 0 :type :invoke :f :read} {:process 0 :type :ok :f :read :value 1})",
                          Format::kEdn)
                .ops.size(),
            2u);
  const History h = parse_history(
      "{:index 5 :time 100 :process 0 :type :invoke :f :read}\n"
      "{:index 9 :time 200 :process 0 :type :ok :f :read :value 1}\n",
      Format::kEdn);
  ASSERT_EQ(h.ops.size(), 2u);
  EXPECT_EQ(h.ops[0].index, 5);
  EXPECT_EQ(h.ops[1].index, 9);
  EXPECT_EQ(h.ops[1].time, 200);
  EXPECT_TRUE(parse_history("", Format::kEdn).ops.empty());
  EXPECT_TRUE(parse_history("[]", Format::kEdn).ops.empty());
}

TEST(JepsenEdn, PlainStartStopNemesis) {
  const History h = parse_history(R"(
{:process :nemesis :type :info :f :start :value nil}
{:process :nemesis :type :info :f :start :value "Cut off {\"n1\" #{\"n2\"}}"}
{:process :nemesis :type :info :f :stop :value nil}
{:process :nemesis :type :info :f :stop :value "fully connected"}
{:process :nemesis :type :info :f :kill :value ["n4" "n5"]}
{:process :nemesis :type :info :f :pause :value {"n1" :paused}}
{:process :nemesis :type :info :f :resume :value {"n1" :resumed}}
{:process :nemesis :type :info :f :bump-clock :value {"n2" 300}}
)",
                                  Format::kEdn);
  ASSERT_EQ(h.nemesis.size(), 6u);
  EXPECT_EQ(h.nemesis[0].fault, "partition");
  EXPECT_EQ(h.nemesis[0].phase, FaultPhase::kStart);
  EXPECT_EQ(h.nemesis[1].fault, "partition");
  EXPECT_EQ(h.nemesis[1].phase, FaultPhase::kStop);
  EXPECT_EQ(h.nemesis[2].fault, "kill");  // :kill then :pause: two lone :info ops
  EXPECT_EQ(h.nemesis[2].nodes, (std::vector<std::string>{"n4", "n5"}));
  EXPECT_EQ(h.nemesis[3].fault, "pause");
  EXPECT_EQ(h.nemesis[3].nodes, std::vector<std::string>{"n1"});
  EXPECT_EQ(h.nemesis[4].fault, "pause");
  EXPECT_EQ(h.nemesis[4].phase, FaultPhase::kStop);
  EXPECT_EQ(h.nemesis[5].fault, "clock");
}

TEST(JepsenEdn, BadRecordsNameTheFieldAndPlace) {
  struct Case {
    std::string text;
    std::size_t line;
    std::size_t column;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"[{:type :invoke :f :read}]", 1, 2, "op map has no :process"},
      {"[{:process 0 :f :read}]", 1, 2, "op map has no :type"},
      {"[{:process 0 :type :invoke}]", 1, 2, "op map has no :f"},
      {"[{:process \"x\" :type :invoke :f :read}]", 1, 12, ":process must be an integer or :nemesis"},
      {"[{:process -1 :type :invoke :f :read}]", 1, 12, ":process must be >= 0"},
      {"[\n {:process 0 :type :done :f :read}]", 2, 20, "unknown op type :done"},
      {"[{:process 0 :type :invoke :f 5}]", 1, 31, ":f must be a keyword"},
      {"[{:process 0 :type :invoke :f :r :key [1]}]", 1, 39, ":key must be a string, integer or keyword"},
      {"[{:process 0 :type :invoke :f :r :index -3}]", 1, 41, ":index must be an integer >= 0"},
      {"[{:process 0 :type :invoke :f :r :time 1.5}]", 1, 40, ":time must be an integer"},
      {"[{:process 0 :type :invoke :f :r}\n [1 2]]", 2, 2, "expected an op map, found vector [1 2]"},
      {"[{:process 0 :type :invoke :f :r}\n", 1, 1, "unterminated history: no closing ']'"},
      {"{:index 3 :process 0 :type :invoke :f :r}\n{:index 3 :process 1 :type :invoke :f :r}", 2, 9,
       ":index 3 is not greater than the previous event's index 3"},
      {"[{:process 0 :type :invoke :f :r :value \"unterminated}]", 1, 41, "unterminated string"},
  };
  for (const Case& c : cases) {
    const HistoryError e = error_of([&] { parse_history(c.text, Format::kEdn, "bad.edn"); });
    EXPECT_EQ(e.pos().file, "bad.edn") << c.text;
    EXPECT_EQ(e.pos().line, c.line) << c.text << "\n" << e.what();
    EXPECT_EQ(e.pos().column, c.column) << c.text << "\n" << e.what();
    EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << c.text << "\n" << e.what();
  }
}

TEST(JepsenLog, FormatsNoiseNemesisAndIndeterminateOutcomes) {
  const std::string log =
      "INFO  jepsen.core - Running test\n"
      "INFO  jepsen.util - Relative time begins now\n"
      "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 4]\n"
      "2017-03-01 10:00:00,123{GMT}\tINFO\t[jepsen worker 1] jepsen.util: 1   :invoke   :read   nil\n"
      "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n"
      "INFO  jepsen.util - 0\t:fail\t:cas\t[1 4]\n"
      "java.lang.Exception: something unrelated\n"
      "\tat some.Class(Class.java:1)\n"
      "INFO  jepsen.util - :nemesis\t:info\t:start\t\"Cut off {\\\"n1\\\" #{\\\"n2\\\"}}\"\n"
      "INFO  jepsen.util - 1\t:fail\t:read\t:timed-out\n"
      "WARN  jepsen.util - 2\t:invoke\t:write\t3\n"
      "INFO  jepsen.util - 2\t:info\t:write\t:timed-out\n"
      "INFO  jepsen.util - 3\t:invoke\t:write\t{:k \"v\", :n [1 2]}\n"
      "INFO  jepsen.util - 3\t:ok\t:write\t{:k \"v\", :n [1 2]}\tindeterminate: socket closed\r\n"
      "INFO  jepsen.util - :nemesis\t:info\t:stop\tnil\n"
      "INFO  jepsen.util - :nemesis\t:info\t:stop\t:network-healed\n";
  const History h = parse_history(log, Format::kAuto, "j.log");
  ASSERT_EQ(h.ops.size(), 8u);
  EXPECT_EQ(h.ops[0].value, Json::array({1, 4}));
  EXPECT_EQ(h.ops[1].process, 1);
  EXPECT_EQ(h.ops[1].f, "read");
  EXPECT_EQ(h.ops[2].type, OpType::kFail);  // a cas that failed: definite
  EXPECT_EQ(h.ops[3].type, OpType::kInfo);  // a read that timed out: unknown
  EXPECT_EQ(h.ops[3].error, "timed-out");
  EXPECT_TRUE(h.ops[3].value.is_null());
  EXPECT_EQ(h.ops[5].type, OpType::kInfo);
  EXPECT_EQ(h.ops[5].error, "timed-out");
  EXPECT_EQ(h.ops[6].value, Json::parse(R"({"k":"v","n":[1,2]})"));
  EXPECT_EQ(h.ops[7].error, "indeterminate: socket closed");
  ASSERT_EQ(h.nemesis.size(), 2u);
  EXPECT_EQ(h.nemesis[0].phase, FaultPhase::kStart);
  EXPECT_EQ(h.nemesis[0].fault, "partition");
  EXPECT_EQ(h.nemesis[1].phase, FaultPhase::kStop);
  EXPECT_EQ(h.nemesis[1].fault, "partition");
  // Index is the position among op lines, nemesis lines included.
  EXPECT_EQ(h.ops[2].index, 3);
  EXPECT_EQ(h.nemesis[0].index, 4);
}

TEST(JepsenLog, MalformedOpLinesNameLineAndColumn) {
  struct Case {
    std::string line;
    std::size_t column;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4", 36, "unterminated vector"},
      {"INFO  jepsen.util - 3\t:bogus\t:cas\t[1 4]", 23, "unknown op type :bogus"},
      {"INFO  jepsen.util - x\t:invoke\t:cas\t[1 4]", 21, "process must be an integer or :nemesis"},
      {"INFO  jepsen.util - 3\t:invoke", 30, "expected the f"},
      {"INFO  jepsen.util - 3\t:invoke\t[1]\tnil", 31, "f must be a keyword"},
      {"INFO  jepsen.util - 3\t:ok\t:read\t\"open", 33, "unterminated string"},
  };
  for (const Case& c : cases) {
    const std::string text = "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n" + c.line + "\n";
    const HistoryError e = error_of([&] { parse_history(text, Format::kJepsenLog, "bad.log"); });
    EXPECT_EQ(e.pos().line, 2u) << c.line << "\n" << e.what();
    EXPECT_EQ(e.pos().column, c.column) << c.line << "\n" << e.what();
    EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << c.line << "\n" << e.what();
  }
}

TEST(Pairing, LoadRejectsUnpairedHistoriesWithIndexAndLine) {
  // A completion with no invocation in flight.
  HistoryError e = error_of([] {
    parse_history("INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
                  "INFO  jepsen.util - 0\t:ok\t:read\t1\n"
                  "INFO  jepsen.util - 0\t:ok\t:read\t1\n",
                  Format::kJepsenLog, "p.log");
  });
  EXPECT_EQ(e.pos().line, 3u);
  EXPECT_NE(std::string(e.what()).find("event index 2"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("no invocation in flight"), std::string::npos) << e.what();

  // Two invocations in flight on one process.
  e = error_of([] {
    parse_history("[{:process 4 :type :invoke :f :read}\n"
                  " {:process 5 :type :invoke :f :read}\n"
                  " {:process 4 :type :invoke :f :write :value 1}]",
                  Format::kEdn, "p.edn");
  });
  EXPECT_EQ(e.pos().line, 3u);
  EXPECT_NE(std::string(e.what()).find("event index 2"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("still in flight"), std::string::npos) << e.what();

  // The same in faultline's own format.
  e = error_of([] {
    parse_history(R"({"index":0,"time":0,"process":1,"type":"ok","f":"read","value":null})"
                  "\n",
                  Format::kJsonl, "p.jsonl");
  });
  EXPECT_EQ(e.pos().line, 1u);
  EXPECT_NE(std::string(e.what()).find("event index 0"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace faultline::history
