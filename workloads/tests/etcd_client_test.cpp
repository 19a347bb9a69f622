// The base64 the etcd gateway's JSON carries keys and values in.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "faultline/workloads/etcd_client.h"

using faultline::workloads::base64_decode;
using faultline::workloads::base64_encode;

TEST(Base64, MatchesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64_decode("Zg=="), "f");
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 37) EXPECT_EQ(base64_decode(base64_encode(all.substr(0, n))), all.substr(0, n));
  EXPECT_EQ(base64_encode(std::string("\xff\xfe", 2)), "//4=");
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_THROW(base64_decode("Zm9"), std::invalid_argument);    // length
  EXPECT_THROW(base64_decode("Zm9*"), std::invalid_argument);   // alphabet
  EXPECT_THROW(base64_decode("Z=9v"), std::invalid_argument);   // '=' inside
  EXPECT_THROW(base64_decode("=Zg="), std::invalid_argument);
}
