// The EDN reader: every literal Jepsen writes, and errors with line:column.
#include <gtest/gtest.h>

#include <cmath>

#include "faultline/history/edn.h"

namespace faultline::edn {
namespace {

using history::HistoryError;

Json j(std::string_view text) { return to_json(parse(text)); }

HistoryError error_of(std::string_view text) {
  try {
    parse(text, "t.edn");
  } catch (const HistoryError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << text;
  return HistoryError({}, "none");
}

TEST(Edn, Scalars) {
  EXPECT_TRUE(j("nil").is_null());
  EXPECT_EQ(j("true"), true);
  EXPECT_EQ(j("false"), false);
  EXPECT_EQ(j("42"), 42);
  EXPECT_EQ(j("-7"), -7);
  EXPECT_EQ(j("+7"), 7);
  EXPECT_EQ(j("0"), 0);
  EXPECT_EQ(j("42N"), 42);
  EXPECT_EQ(j("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(j("123456789012345678901234567890N"), "123456789012345678901234567890");
  EXPECT_EQ(parse("99999999999999999999").kind, Value::Kind::kBigInt);
  EXPECT_DOUBLE_EQ(j("2.5").get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(j("-1.5e3").get<double>(), -1500);
  EXPECT_DOUBLE_EQ(j("1E-2").get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(j("3.14M").get<double>(), 3.14);
  EXPECT_DOUBLE_EQ(j("7M").get<double>(), 7);
  EXPECT_DOUBLE_EQ(j("1/4").get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j("-3/2").get<double>(), -1.5);
  EXPECT_TRUE(std::isinf(parse("##Inf").number));
  EXPECT_TRUE(std::isnan(parse("##NaN").number));
  EXPECT_EQ(j(":invoke"), "invoke");
  EXPECT_EQ(j(":jepsen.history/op"), "jepsen.history/op");
  EXPECT_EQ(j("::auto"), "auto");
  EXPECT_EQ(j("some-symbol"), "some-symbol");
  EXPECT_EQ(j("clojure.core/+"), "clojure.core/+");
  EXPECT_EQ(j("-"), "-");
  EXPECT_EQ(j("nil?"), "nil?");  // a symbol, not nil
  EXPECT_TRUE(parse(":invoke").is_keyword("invoke"));
  EXPECT_EQ(parse("\"x\"").kind, Value::Kind::kString);
}

TEST(Edn, StringsWithEscapes) {
  EXPECT_EQ(j(R"("plain")"), "plain");
  EXPECT_EQ(j(R"("a\nb\tc\rd")"), "a\nb\tc\rd");
  EXPECT_EQ(j(R"("quote \" backslash \\ end")"), "quote \" backslash \\ end");
  EXPECT_EQ(j(R"("\u00e9\u4E2D")"), "\u00e9\u4e2d");
  EXPECT_EQ(j(R"("\uD83D\uDE00")"), "\U0001F600");  // a surrogate pair
  EXPECT_EQ(j(R"("\ud800 alone")"), "\uFFFD alone");
  EXPECT_EQ(j(R"("\b\f")"), "\b\f");
  EXPECT_EQ(j(R"("\101\0")"), std::string("A\0", 2));
  EXPECT_EQ(j("\"multi\nline\""), "multi\nline");
  EXPECT_EQ(j(R"("")"), "");
  EXPECT_EQ(j("\"caf\xc3\xa9\""), "caf\u00e9");
  EXPECT_EQ(j("\"bad \xff byte\""), "bad \uFFFD byte");  // repaired, not rejected
}

TEST(Edn, Characters) {
  EXPECT_EQ(j(R"(\a)"), "a");
  EXPECT_EQ(j(R"(\newline)"), "\n");
  EXPECT_EQ(j(R"(\space)"), " ");
  EXPECT_EQ(j(R"(\tab)"), "\t");
  EXPECT_EQ(j(R"(\return)"), "\r");
  EXPECT_EQ(j(R"(\u0041)"), "A");
  EXPECT_EQ(j(R"(\o101)"), "A");
  EXPECT_EQ(j(R"(\()"), "(");
  EXPECT_EQ(j("\\\xc3\xa9"), "\u00e9");
  EXPECT_EQ(j(R"([\a \b])"), Json::array({"a", "b"}));
  EXPECT_EQ(parse(R"(\x)").kind, Value::Kind::kChar);
}

TEST(Edn, Collections) {
  EXPECT_EQ(j("[1 2 3]"), Json::array({1, 2, 3}));
  EXPECT_EQ(j("(1, 2, 3)"), Json::array({1, 2, 3}));  // commas are whitespace
  EXPECT_EQ(j("[]"), Json::array());
  EXPECT_EQ(j("#{1 2}"), Json::array({1, 2}));
  EXPECT_EQ(j("[[1 [2 [3 []]]] (nil)]"), Json::parse(R"([[1,[2,[3,[]]]],[null]])"));
  EXPECT_EQ(j("{:a 1, :b [2 3], :c {:d nil}}"), Json::parse(R"({"a":1,"b":[2,3],"c":{"d":null}})"));
  EXPECT_EQ(j(R"({"x" 1 2 3 :k "v"})"), Json::parse(R"({"x":1,"2":3,"k":"v"})"));
  // Keys that cannot be object keys, or collide once stringified, keep the
  // map as [key, value] pairs.
  EXPECT_EQ(j("{[1 2] :a, nil :b}"), Json::parse(R"([[[1,2],"a"],[null,"b"]])"));
  EXPECT_EQ(j(R"({:a 1 "a" 2})"), Json::parse(R"([["a",1],["a",2]])"));
  EXPECT_EQ(j("#:jepsen{:a 1 :b 2 :other/c 3 :_/d 4}"), Json::parse(R"({"jepsen/a":1,"jepsen/b":2,"other/c":3,"d":4})"));
  const Value m = parse("{:process 0 :type :invoke}");
  ASSERT_NE(m.get("type"), nullptr);
  EXPECT_TRUE(m.get("type")->is_keyword("invoke"));
  EXPECT_EQ(m.get("value"), nullptr);
}

TEST(Edn, CommentsDiscardsAndTags) {
  EXPECT_EQ(j("; leading comment\n[1 ; inline\n 2] ; trailing"), Json::array({1, 2}));
  EXPECT_EQ(j("[1 #_2 3]"), Json::array({1, 3}));
  EXPECT_EQ(j("[1 #_ [2 {:x 3}] 4]"), Json::array({1, 4}));
  EXPECT_EQ(j("[#_ #_ 1 2 3]"), Json::array({3}));  // each #_ drops one form
  EXPECT_EQ(j("#_ 1 2"), 2);
  EXPECT_EQ(j("#inst \"2017-01-01T00:00:00Z\""), "2017-01-01T00:00:00Z");
  EXPECT_EQ(j("#uuid \"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\""), "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  EXPECT_EQ(j("#jepsen.history.Op{:index 0, :type :invoke}"), Json::parse(R"({"index":0,"type":"invoke"})"));
  EXPECT_EQ(j("#object[java.lang.Exception 0x1f \"boom\"]"), Json::parse(R"(["java.lang.Exception",31,"boom"])"));
  EXPECT_EQ(j("[0xff -0x10 0XAbN]"), Json::array({255, -16, 171}));
  EXPECT_EQ(j(R"(#"\d+")"), "\\d+");
  const Value tagged = parse("#my/tag [1]");
  EXPECT_EQ(tagged.kind, Value::Kind::kTagged);
  EXPECT_EQ(tagged.text, "my/tag");
}

TEST(Edn, ToEdnRendersBack) {
  const std::string text = R"({:a [1 "two" \c nil true], :b #{:k}, :c (sym 2.5)})";
  EXPECT_EQ(to_edn(parse(text)), text);
}

TEST(Edn, ReaderStreamsForms) {
  Reader r("{:a 1}\n{:a 2} ; done\n", "s.edn");
  std::vector<Json> out;
  while (!r.at_end()) out.push_back(to_json(r.read()));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1]["a"], 2);
  // Positions are relative to the whole file, even for a reader over a part.
  Reader part("x :y", "log", 7, 20);
  const Value first = part.read();
  const Value second = part.read();
  EXPECT_EQ(part.position(first.offset).column, 20u);
  EXPECT_EQ(part.position(second.offset).column, 22u);
  EXPECT_EQ(part.position(second.offset).line, 7u);
}

TEST(Edn, MalformedInputGivesLineAndColumn) {
  struct Case {
    std::string text;
    std::size_t line;
    std::size_t column;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"[1 2", 1, 1, "unterminated vector"},
      {"\n\n  {:a 1\n :b", 3, 3, "unterminated map"},
      {"{:a}", 1, 2, "map has a key with no value"},
      {"[1 2)", 1, 5, "expected ']' to close the vector opened at line 1, column 1, found ')'"},
      {"  )", 1, 3, "unmatched ')'"},
      {"\"abc", 1, 1, "unterminated string"},
      {"[\"ok\"\n \"bad \\q\"]", 2, 7, "unknown escape \\q"},
      {"\"\\u12\"", 1, 2, "invalid \\u escape"},
      {"\\nope", 1, 1, "unsupported character literal \\nope"},
      {"\\", 1, 1, "backslash at end of input"},
      {"12abc", 1, 1, "invalid number '12abc'"},
      {"007", 1, 1, "leading zeros"},
      {"1/0", 1, 1, "divides by zero"},
      {"1.5e", 1, 1, "invalid number"},
      {"#{1 2", 1, 1, "unterminated set"},
      {"#?(:clj 1)", 1, 1, "unsupported dispatch '#?'"},
      {"##Foo", 1, 1, "unknown symbolic value ##Foo"},
      {"#tag", 1, 1, "tag #tag with no value"},
      {"[1 #_]", 1, 4, "#_ with no form after it"},
      {":", 1, 1, "keyword with no name"},
      {"@x", 1, 1, "unexpected '@'"},
      {"", 1, 1, "unexpected end of input"},
      {"; only a comment", 1, 17, "unexpected end of input"},
      {"1 2", 1, 3, "unexpected text after the value"},
      {"{:a 1 :b 2 :c}", 1, 12, "map has a key with no value"},
  };
  for (const Case& c : cases) {
    const HistoryError e = error_of(c.text);
    EXPECT_EQ(e.pos().file, "t.edn") << c.text;
    EXPECT_EQ(e.pos().line, c.line) << c.text << "\n" << e.what();
    EXPECT_EQ(e.pos().column, c.column) << c.text << "\n" << e.what();
    EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << c.text << "\n" << e.what();
  }
}

TEST(Edn, DeepNestingIsAnErrorNotACrash) {
  const std::string deep(100000, '[');
  EXPECT_NE(std::string(error_of(deep).what()).find("nesting deeper than"), std::string::npos);
  std::string discards;
  for (int i = 0; i < 100000; ++i) discards += "#_";
  EXPECT_THROW(parse(discards + "1"), HistoryError);
  std::string tags;
  for (int i = 0; i < 100000; ++i) tags += "#t ";
  EXPECT_THROW(parse(tags + "1"), HistoryError);
  // Just inside the limit is fine.
  const int ok_depth = Reader::kMaxDepth;
  EXPECT_NO_THROW(parse(std::string(ok_depth, '[') + std::string(ok_depth, ']')));
}

}  // namespace
}  // namespace faultline::edn
