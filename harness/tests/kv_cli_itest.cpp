// `faultline kv` against a real 3-node faultline-node cluster on loopback:
// what a user does to poke a cluster by hand.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "faultline/testing/node_cluster.h"
#include "faultline/testing/run_binary.h"

namespace faultline::testing {
namespace {

using node::testing::Cluster;

std::string addr(const Cluster& c, int i) { return "127.0.0.1:" + std::to_string(c.port(i)); }

TEST(KvCli, PutThenGetThroughAnotherNode) {
  Cluster cluster(3, nlohmann::json::object());
  RunResult put = run_faultline({"kv", "--node", addr(cluster, 0), "--consistency", "QUORUM", "put", "k1", "hello"});
  ASSERT_EQ(put.exit_code, 0) << put.out << put.err;
  EXPECT_EQ(nlohmann::json::parse(put.out)["outcome"], "ok") << put.out;

  RunResult get = run_faultline({"kv", "--node", addr(cluster, 2), "--consistency", "QUORUM", "get", "k1"});
  ASSERT_EQ(get.exit_code, 0) << get.out << get.err;
  EXPECT_NE(get.out.find("hello"), std::string::npos) << get.out;

  RunResult status = run_faultline({"kv", "--node", addr(cluster, 1), "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(nlohmann::json::parse(status.out).is_object());
}

TEST(KvCli, BadArgumentsAreUsageErrors) {
  RunResult no_node = run_faultline({"kv", "get", "k"});
  EXPECT_EQ(no_node.exit_code, 254);
  EXPECT_NE(no_node.err.find("--node"), std::string::npos) << no_node.err;

  RunResult bad_cmd = run_faultline({"kv", "--node", "127.0.0.1:1", "frob"});
  EXPECT_EQ(bad_cmd.exit_code, 254);
  EXPECT_NE(bad_cmd.err.find("frob"), std::string::npos) << bad_cmd.err;

  RunResult bad_timeout = run_faultline({"kv", "--node", "127.0.0.1:1", "--timeout-ms", "soon", "ping"});
  EXPECT_EQ(bad_timeout.exit_code, 254);
  EXPECT_NE(bad_timeout.err.find("soon"), std::string::npos) << bad_timeout.err;

  RunResult help = run_faultline({"kv", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: faultline kv"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace faultline::testing
