// load.h: format names, sniffing, and dispatch to the right reader.
#include <gtest/gtest.h>

#include "faultline/history/jsonl.h"
#include "faultline/history/load.h"
#include "history_test_files.h"

namespace faultline::history {
namespace {

using testing::ScratchDir;

TEST(Load, FormatNamesRoundTrip) {
  for (Format f : {Format::kAuto, Format::kJsonl, Format::kEdn, Format::kJepsenLog}) {
    EXPECT_EQ(parse_format(to_string(f)), f);
  }
  EXPECT_EQ(parse_format("log"), Format::kJepsenLog);
  EXPECT_FALSE(parse_format("yaml").has_value());
}

TEST(Load, SniffsTheFormat) {
  EXPECT_EQ(detect_format_text(R"({"index":0})"), Format::kJsonl);
  EXPECT_EQ(detect_format_text("\n  { \"meta\": {}}"), Format::kJsonl);
  EXPECT_EQ(detect_format_text("\xEF\xBB\xBF{\"index\":0}"), Format::kJsonl);
  EXPECT_EQ(detect_format_text(""), Format::kJsonl);  // an empty history
  EXPECT_EQ(detect_format_text("{:process 0}"), Format::kEdn);
  EXPECT_EQ(detect_format_text("[{:process 0}]"), Format::kEdn);
  EXPECT_EQ(detect_format_text("({:process 0})"), Format::kEdn);
  EXPECT_EQ(detect_format_text("; comment\n[]"), Format::kEdn);
  EXPECT_EQ(detect_format_text("#jepsen.history.Op{}"), Format::kEdn);
  EXPECT_EQ(detect_format_text("INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4]"), Format::kJepsenLog);
  EXPECT_EQ(detect_format_text("WARN  something else\n"), Format::kJepsenLog);
  EXPECT_EQ(detect_format_text("starting up\nloading\nINFO  jepsen.util - 0\t:invoke\t:read\tnil"),
            Format::kJepsenLog);
  EXPECT_EQ(detect_format_text("2017-03-01 10:00:00,123{GMT}\tINFO\t[main] jepsen.core: Running"),
            Format::kJepsenLog);
  try {
    detect_format_text("hello world", "x.txt");
    FAIL() << "no error";
  } catch (const HistoryError& e) {
    EXPECT_EQ(e.pos().file, "x.txt");
    EXPECT_NE(std::string(e.what()).find("cannot tell the history format from \"hello world\""), std::string::npos);
  }
}

TEST(Load, DispatchesOnFilesOfEveryFormat) {
  ScratchDir dir;
  const std::string jsonl = dir.write("a.jsonl",
                                      "{\"meta\":{\"w\":1}}\n"
                                      "{\"index\":0,\"time\":5,\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
                                      "{\"index\":1,\"time\":6,\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":2}\n");
  const std::string edn = dir.write("a.edn", "[{:process 0 :type :invoke :f :read}\n {:process 0 :type :ok :f :read :value 2}]\n");
  const std::string log = dir.write("a.log",
                                    "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
                                    "INFO  jepsen.util - 0\t:ok\t:read\t2\n");
  for (const std::string& path : {jsonl, edn, log}) {
    SCOPED_TRACE(path);
    LoadInfo info;
    const History h = load_history(path, Format::kAuto, &info);
    ASSERT_EQ(h.ops.size(), 2u);
    EXPECT_EQ(h.ops[1].value, 2);
    EXPECT_EQ(info.operations, 1u);
  }
  LoadInfo info;
  EXPECT_EQ(load_history(jsonl, Format::kAuto, &info).meta, (Json{{"w", 1}}));
  EXPECT_EQ(info.format, Format::kJsonl);
  load_history(edn, Format::kAuto, &info);
  EXPECT_EQ(info.format, Format::kEdn);
  load_history(log, Format::kAuto, &info);
  EXPECT_EQ(info.format, Format::kJepsenLog);
  // A forced format that does not fit the text is a syntax error, not a crash.
  EXPECT_THROW(load_history(edn, Format::kJsonl), HistoryError);
  EXPECT_THROW(load_history(jsonl, Format::kEdn), HistoryError);
  // A log forced onto JSON has no op lines: an empty history.
  EXPECT_TRUE(load_history(jsonl, Format::kJepsenLog).ops.empty());
}

TEST(Load, TornJsonlTailIsReported) {
  ScratchDir dir;
  const std::string path = dir.write("t.jsonl",
                                     "{\"index\":0,\"time\":5,\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
                                     "{\"index\":1,\"time\":6,\"proc");
  LoadInfo info;
  const History h = load_history(path, Format::kAuto, &info);
  EXPECT_EQ(h.ops.size(), 1u);
  EXPECT_TRUE(info.truncated);
  EXPECT_EQ(info.truncated_line, 2u);
}

TEST(Load, UnreadableInputsAreHistoryErrors) {
  ScratchDir dir;
  EXPECT_THROW(load_history(dir.file("missing.jsonl")), HistoryError);
  EXPECT_THROW(detect_format(dir.file("missing.jsonl")), HistoryError);
  EXPECT_THROW(load_history(dir.file("")), HistoryError);  // a directory
  EXPECT_THROW(load_history(dir.file(""), Format::kEdn), HistoryError);
  EXPECT_TRUE(load_history(dir.write("empty", "")).ops.empty());
}

}  // namespace
}  // namespace faultline::history
