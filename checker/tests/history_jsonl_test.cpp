// The JSON Lines writer and reader: batching, thread safety, streaming,
// torn final lines and the errors bad lines produce.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "faultline/history/jsonl.h"
#include "history_test_files.h"

namespace faultline::history {
namespace {

using testing::ScratchDir;
using testing::slurp;

Op op_at(std::int64_t index, std::int64_t process, OpType type, const std::string& f, Json value) {
  Op op;
  op.index = index;
  op.time = index * 10;
  op.process = process;
  op.type = type;
  op.f = f;
  op.value = std::move(value);
  return op;
}

// The HistoryError a text produces, or fails the test.
HistoryError read_error(const std::string& text) {
  try {
    read_jsonl_text(text, "h.jsonl");
  } catch (const HistoryError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return HistoryError({}, "none");
}

const char* kGood = R"({"index":0,"time":1,"process":0,"type":"invoke","f":"read","value":null})";

TEST(HistoryWriter, WritesMetaAndEventsInOrder) {
  ScratchDir dir;
  const std::string path = dir.file("h.jsonl");
  {
    HistoryWriter w(path, Json{{"workload", "set"}});
    EXPECT_EQ(w.append(op_at(-1, 0, OpType::kInvoke, "add", 1)), 0);
    NemesisEvent e;
    e.fault = "partition";
    e.nodes = {"n1"};
    EXPECT_EQ(w.append(e), 1);
    EXPECT_EQ(w.append(op_at(-1, 0, OpType::kOk, "add", 1)), 2);
    EXPECT_EQ(w.events_appended(), 3u);
    w.close();
    w.close();  // idempotent
  }
  const std::string text = slurp(path);
  EXPECT_EQ(text.substr(0, text.find('\n')), R"({"meta":{"workload":"set"}})");
  const History h = read_jsonl(path);
  EXPECT_EQ(h.meta, (Json{{"workload", "set"}}));
  ASSERT_EQ(h.ops.size(), 2u);
  ASSERT_EQ(h.nemesis.size(), 1u);
  EXPECT_EQ(h.ops[0].index, 0);
  EXPECT_EQ(h.nemesis[0].index, 1);
  EXPECT_EQ(h.nemesis[0].fault, "partition");
  EXPECT_EQ(h.ops[1].index, 2);
}

TEST(HistoryWriter, NoMetaLineForEmptyMeta) {
  ScratchDir dir;
  const std::string path = dir.file("h.jsonl");
  HistoryWriter w(path);
  w.close();
  EXPECT_EQ(slurp(path), "");
  EXPECT_TRUE(read_jsonl(path).ops.empty());
}

TEST(HistoryWriter, FlushMakesEverythingVisibleToAReader) {
  ScratchDir dir;
  const std::string path = dir.file("h.jsonl");
  WriterOptions slow;
  slow.write_interval = std::chrono::milliseconds(60'000);  // only flush() writes
  HistoryWriter w(path, Json::object(), slow);
  for (int i = 0; i < 100; ++i) w.append(op_at(-1, i, OpType::kInvoke, "read", nullptr));
  w.flush();
  EXPECT_EQ(read_jsonl(path).ops.size(), 100u);
  w.append(op_at(-1, 100, OpType::kInvoke, "read", nullptr));
  w.flush();
  EXPECT_EQ(read_jsonl(path).ops.size(), 101u);
}

TEST(HistoryWriter, BackgroundThreadWritesWithoutFlush) {
  ScratchDir dir;
  const std::string path = dir.file("h.jsonl");
  WriterOptions fast;
  fast.write_interval = std::chrono::milliseconds(5);
  HistoryWriter w(path, Json::object(), fast);
  w.append(op_at(-1, 0, OpType::kInvoke, "read", nullptr));
  // The writer promises the line reaches the file within write_interval.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (slurp(path).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(read_jsonl(path).ops.size(), 1u);
}

TEST(HistoryWriter, ManyThreadsAppendWholeLinesInIndexOrder) {
  ScratchDir dir;
  const std::string path = dir.file("h.jsonl");
  constexpr int kThreads = 8;
  constexpr int kPerThread = 5000;
  {
    WriterOptions small;
    small.batch_bytes = 4096;  // many batches, to interleave with the writer thread
    HistoryWriter w(path, Json{{"threads", kThreads}}, small);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&w, t] {
        for (int i = 0; i < kPerThread; ++i) {
          Op op = op_at(-1, t, i % 2 ? OpType::kOk : OpType::kInvoke, "add", t * kPerThread + i);
          op.error = std::string(static_cast<std::size_t>(i % 50), 'x');  // varied line lengths
          w.append(op);
        }
      });
    }
    for (auto& th : threads) th.join();
    w.close();
  }
  const History h = read_jsonl(path);
  ASSERT_EQ(h.ops.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::vector<int> next(kThreads, 0);
  for (std::size_t i = 0; i < h.ops.size(); ++i) {
    const Op& op = h.ops[i];
    EXPECT_EQ(op.index, static_cast<std::int64_t>(i));
    // Each thread's events appear in the order it appended them.
    const int t = static_cast<int>(op.process);
    EXPECT_EQ(op.value, t * kPerThread + next[t]);
    ++next[t];
  }
}

TEST(HistoryWriter, RejectsIndicesThatGoBackwards) {
  ScratchDir dir;
  HistoryWriter w(dir.file("h.jsonl"));
  w.append(op_at(10, 0, OpType::kInvoke, "read", nullptr));
  EXPECT_THROW(w.append(op_at(10, 1, OpType::kInvoke, "read", nullptr)), std::invalid_argument);
  EXPECT_EQ(w.append(op_at(-1, 1, OpType::kInvoke, "read", nullptr)), 11);
  w.close();
  EXPECT_THROW(w.append(op_at(-1, 1, OpType::kInvoke, "read", nullptr)), std::logic_error);
}

TEST(HistoryWriter, UnwritablePathThrowsSystemError) {
  EXPECT_THROW(HistoryWriter("/nonexistent-dir-for-faultline/h.jsonl"), std::system_error);
}

TEST(HistoryReader, StreamsEventByEventAcrossChunkBoundaries) {
  std::string text = "{\"meta\":{\"a\":1}}\n";
  for (int i = 0; i < 200; ++i) {
    Op op = op_at(i, i % 5, OpType::kInvoke, "write", Json::array());
    for (int k = 0; k < i; ++k) op.value.push_back(k);  // lines up to ~700 bytes
    text += to_json_line(op) + "\n";
  }
  ReaderOptions tiny;
  tiny.chunk_bytes = 64;  // far shorter than most lines: the buffer must grow
  HistoryReader reader = HistoryReader::from_text(text, "h", tiny);
  Event e;
  int n = 0;
  while (reader.next(e)) {
    const Op& op = std::get<Op>(e);
    EXPECT_EQ(op.index, n);
    EXPECT_EQ(op.value.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(reader.line(), static_cast<std::size_t>(n + 2));
    ++n;
  }
  EXPECT_EQ(n, 200);
  EXPECT_EQ(reader.meta(), (Json{{"a", 1}}));
  EXPECT_FALSE(reader.truncated());
}

TEST(HistoryReader, ToleratesBlankLinesCrLfBomAndNoFinalNewline) {
  const std::string text = "\xEF\xBB\xBF" + std::string(kGood) + "\r\n\n   \n" +
                           R"({"index":1,"time":2,"process":0,"type":"ok","f":"read","value":5})";
  const History h = read_jsonl_text(text);
  ASSERT_EQ(h.ops.size(), 2u);
  EXPECT_EQ(h.ops[1].value, 5);
}

TEST(HistoryReader, DefaultsAndLenientFields) {
  // No index/time: index = time = position. Integer key becomes text.
  // Unknown fields are ignored; a structured error is kept as JSON text.
  const std::string text =
      R"({"process":1,"type":"invoke","f":"read","key":17,"extra":{"x":[1,2]}})" "\n"
      R"({"process":1,"type":"fail","f":"read","error":{"code":5},"node":null,"key":null})" "\n";
  const History h = read_jsonl_text(text);
  ASSERT_EQ(h.ops.size(), 2u);
  EXPECT_EQ(h.ops[0].index, 0);
  EXPECT_EQ(h.ops[1].index, 1);
  EXPECT_EQ(h.ops[1].time, 1);
  EXPECT_EQ(h.ops[0].key, "17");
  EXPECT_TRUE(h.ops[0].value.is_null());
  EXPECT_EQ(h.ops[1].error, R"({"code":5})");
  EXPECT_FALSE(h.ops[1].key.has_value());
}

TEST(HistoryReader, MetaLinesMerge) {
  const std::string text = std::string(R"({"meta":{"a":1,"b":2}})") + "\n" + kGood + "\n" + R"({"meta":{"b":3}})" + "\n";
  const History h = read_jsonl_text(text);
  EXPECT_EQ(h.meta, (Json{{"a", 1}, {"b", 3}}));
  EXPECT_EQ(h.ops.size(), 1u);
}

TEST(HistoryReader, TornFinalLineIsDroppedAndReported) {
  const std::string good = std::string(kGood) + "\n";
  const std::string torn = R"({"index":1,"time":2,"process":0,"ty)";
  ReadInfo info;
  const History h = read_jsonl_text(good + torn, "h", &info);
  EXPECT_EQ(h.ops.size(), 1u);
  EXPECT_TRUE(info.truncated);
  EXPECT_EQ(info.truncated_line, 2u);
  EXPECT_EQ(info.truncated_bytes, torn.size());

  // Every prefix of a valid file reads as a valid prefix of its events.
  std::string file;
  for (int i = 0; i < 6; ++i) file += to_json_line(op_at(i, i, OpType::kInvoke, "write", Json::array({i, "x"}))) + "\n";
  for (std::size_t cut = 0; cut <= file.size(); ++cut) {
    const std::string prefix = file.substr(0, cut);
    const History p = read_jsonl_text(prefix);
    const std::size_t complete_lines = static_cast<std::size_t>(std::count(prefix.begin(), prefix.end(), '\n'));
    EXPECT_GE(p.ops.size(), complete_lines) << "cut at " << cut;
    EXPECT_LE(p.ops.size(), complete_lines + 1) << "cut at " << cut;
  }
}

TEST(HistoryReader, SameDamageInTheMiddleIsAnError) {
  const std::string text = std::string(kGood) + "\n" + R"({"index":1,"time":2,"process":0,"ty)" + "\n" +
                           R"({"index":2,"time":3,"process":1,"type":"invoke","f":"read","value":null})" + "\n";
  const HistoryError e = read_error(text);
  EXPECT_EQ(e.pos().file, "h.jsonl");
  EXPECT_EQ(e.pos().line, 2u);
  EXPECT_NE(std::string(e.what()).find("bad JSON"), std::string::npos) << e.what();
}

TEST(HistoryReader, ErrorsNameWhatAndWhere) {
  struct Case {
    std::string line;
    std::size_t column;
    std::string says;
  };
  const std::vector<Case> cases = {
      {R"({"index":0,"time":1,"process":0,"type":"done","f":"read","value":null})", 40, "unknown \"type\" \"done\""},
      {R"({"index":0,"time":1,"process":0,"f":"read","value":null})", 1, "missing field \"type\""},
      {R"({"index":0,"time":1,"type":"ok","f":"read"})", 1, "missing field \"process\""},
      {R"({"index":0,"time":1,"process":0,"type":"ok"})", 1, "missing field \"f\""},
      {R"({"index":"zero","time":1,"process":0,"type":"ok","f":"r"})", 10, "\"index\" must be an integer"},
      {R"({"index":0,"time":1.5,"process":0,"type":"ok","f":"r"})", 19, "\"time\" must be an integer"},
      {R"({"index":0,"time":1,"process":-2,"type":"ok","f":"r"})", 31, "\"process\" must be >= 0"},
      {R"({"index":0,"time":1,"process":"bob","type":"ok","f":"r"})", 31, "\"process\" must be an integer >= 0 or \"nemesis\""},
      {R"({"index":0,"time":1,"process":[1],"type":"ok","f":"r"})", 31, "not an array"},
      {R"({"index":0,"time":1,"process":0,"type":"ok","f":7})", 49, "\"f\" must be a string"},
      {R"({"index":0,"time":1,"process":0,"type":"ok","f":"r","key":[1]})", 59, "\"key\" must be a string or an integer"},
      {R"({"index":0,"time":1,"process":"nemesis","type":"info","f":"begin","fault":"x"})", 59, "must be \"start\" or \"stop\""},
      {R"({"index":0,"time":1,"process":"nemesis","type":"info","f":"start"})", 1, "missing field \"fault\""},
      {R"({"index":0,"time":1,"process":"nemesis","type":"ok","f":"start","fault":"x"})", 48, "must have \"type\" \"info\""},
      {R"({"index":0,"time":1,"process":"nemesis","type":"info","f":"start","fault":"x","nodes":[1]})", 87, "\"nodes\" must be an array of strings"},
      {R"({"meta":[1]})", 9, "\"meta\" must be an object"},
      {R"([1,2,3])", 1, "must be a JSON object"},
      {R"({"index":0,"time":1,"process":0,"type":"ok","f":"r"} trailing)", 56, "bad JSON"},
      {R"({"index":0,"time":1,,"process":0})", 21, "bad JSON"},
      {R"({"index":0,"time":1,"process":0,"type":"ok","f":"r","value":[1,2})", 65, "bad JSON"},
      {R"({"index":0,"time":1,"process":0,"type":"ok","f":"r","value":tru})", 64, "bad JSON"},
      {"{\"index\":0,\"f\":\"a\xff\"}", 18, "bad JSON"},
  };
  for (const Case& c : cases) {
    const HistoryError e = read_error(c.line + "\n");
    EXPECT_EQ(e.pos().line, 1u) << c.line;
    EXPECT_EQ(e.pos().column, c.column) << c.line << "\n" << e.what();
    EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << c.line << "\n" << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("h.jsonl:1:", 0), 0u) << e.what();
  }
}

TEST(HistoryReader, IndicesMustIncrease) {
  const std::string text = std::string(kGood) + "\n" + kGood + "\n";
  const HistoryError e = read_error(text);
  EXPECT_EQ(e.pos().line, 2u);
  EXPECT_EQ(e.pos().column, 10u);
  EXPECT_NE(std::string(e.what()).find("not greater than the previous event's index 0"), std::string::npos);
}

TEST(HistoryReader, MissingFileIsAHistoryError) {
  try {
    read_jsonl("/nonexistent/faultline/history.jsonl");
    FAIL() << "no error";
  } catch (const HistoryError& e) {
    EXPECT_EQ(e.pos().file, "/nonexistent/faultline/history.jsonl");
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos);
  }
}

TEST(HistoryReader, LargeFileStreamsWithSmallChunks) {
  ScratchDir dir;
  const std::string path = dir.file("big.jsonl");
  {
    HistoryWriter w(path, Json{{"n", 20000}});
    for (int i = 0; i < 20000; ++i) {
      Op op = op_at(-1, i % 10, i % 20 < 10 ? OpType::kInvoke : OpType::kOk, "write", i);
      op.key = "k" + std::to_string(i % 7);
      w.append(op);
    }
  }
  ReaderOptions small;
  small.chunk_bytes = 4096;
  HistoryReader reader(path, small);
  History h;
  reader.read_rest(h);
  EXPECT_EQ(h.ops.size(), 20000u);
  EXPECT_EQ(h.ops.back().value, 19999);
  EXPECT_EQ(h.meta, (Json{{"n", 20000}}));
}

}  // namespace
}  // namespace faultline::history
