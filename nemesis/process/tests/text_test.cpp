#include "faultline/process/text.h"

#include <gtest/gtest.h>

#include <fstream>

#include "faultline/testing/test_dir.h"

namespace faultline::process {
namespace {

TEST(Join, SeparatesPartsAndNothingElse) {
  EXPECT_EQ(join({}), "");
  EXPECT_EQ(join({"a"}), "a");
  EXPECT_EQ(join({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(join({"", "b"}, " "), " b");  // an empty first part keeps its separator
  EXPECT_EQ(join({"x", "y"}, ""), "xy");
}

TEST(ReadFile, ReturnsTheBytesOrNothing) {
  node::testing::TestDir dir("text-read");
  const auto p = dir.path() / "f";
  std::ofstream(p, std::ios::binary) << std::string("a\0b\n", 4);
  ASSERT_TRUE(read_file(p).has_value());
  EXPECT_EQ(*read_file(p), std::string("a\0b\n", 4));
  EXPECT_FALSE(read_file(dir.path() / "missing").has_value());
  EXPECT_EQ(read_file(dir.path()).value_or(""), "");  // a directory has no bytes to give
}

}  // namespace
}  // namespace faultline::process
