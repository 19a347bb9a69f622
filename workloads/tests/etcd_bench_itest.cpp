// kv_bench and EtcdClient against a real 3-member etcd on loopback. Skips
// when etcd is not installed (apt-get install etcd-server), fails instead
// under FAULTLINE_REQUIRE_ROOT=1.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include "faultline/testing/etcd_cluster.h"
#include "faultline/testing/require_root.h"
#include "faultline/testing/run_binary.h"
#include "faultline/workloads/etcd_client.h"
#include "faultline/testing/paths.h"

namespace {

using faultline::testing::EtcdCluster;
using faultline::testing::run_binary;
using faultline::workloads::EtcdClient;

std::string kv_bench() { return (faultline::testing::binary_dir() / "workloads" / "kv_bench").string(); }

// The "result k=v ..." line kv_bench ends with.
std::map<std::string, std::string> result_line(const std::string& out) {
  std::map<std::string, std::string> fields;
  std::stringstream ss(out);
  for (std::string line; std::getline(ss, line);) {
    if (line.rfind("result ", 0) != 0) continue;
    std::stringstream ls(line.substr(7));
    for (std::string kv; ls >> kv;) {
      const auto eq = kv.find('=');
      if (eq != std::string::npos) fields[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  return fields;
}

class EtcdBench : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!faultline::testing::etcd_binary().empty()) cluster_ = std::make_unique<EtcdCluster>(3);
  }
  static void TearDownTestSuite() { cluster_.reset(); }
  void SetUp() override {
    if (!cluster_) FAULTLINE_SKIP_OR_FAIL("etcd not installed (apt-get install etcd-server)");
  }
  static std::unique_ptr<EtcdCluster> cluster_;
};
std::unique_ptr<EtcdCluster> EtcdBench::cluster_;

TEST_F(EtcdBench, ClientPutsThenEveryMemberReadsTheValueBack) {
  const auto& members = cluster_->client_addresses();
  const std::string value("binary\0\xff value", 15);
  EtcdClient writer(members[0]);
  auto put = writer.put("itest-key", value);
  ASSERT_TRUE(put.ok()) << put.error << ": " << put.message;
  EXPECT_GT(put.reply["revision"].get<long>(), 0);
  for (const auto& m : members) {
    EtcdClient reader(m);
    // Linearizable: must see the acknowledged put from any member.
    auto got = reader.get("itest-key");
    ASSERT_TRUE(got.ok()) << m << ": " << got.error << ": " << got.message;
    ASSERT_TRUE(got.value().has_value()) << m << " returned " << got.reply.dump();
    EXPECT_EQ(*got.value(), value) << m;
    // Serializable reads the member's own state: it may lag, but never
    // returns anything other than a value that was written.
    auto local = reader.get("itest-key", true);
    ASSERT_TRUE(local.ok()) << m << ": " << local.error;
    if (local.value()) {
      EXPECT_EQ(*local.value(), value);
    }
  }
  auto missing = writer.get("itest-no-such-key");
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing.values().empty());
}

TEST_F(EtcdBench, ClientReportsConnectFailureAsFail) {
  const int port = faultline::testing::free_loopback_ports(1)[0];
  EtcdClient client("127.0.0.1:" + std::to_string(port), std::chrono::milliseconds(1000));
  auto r = client.put("k", "v");
  EXPECT_EQ(r.type, faultline::history::OpType::kFail);  // never sent: certainly not applied
  EXPECT_EQ(r.error, "connect");
}

TEST_F(EtcdBench, KvBenchPutsAndGetsWithoutErrors) {
  for (const std::string op : {"put", "get"}) {
    for (const std::string level : {"QUORUM", "ONE"}) {
      if (op == "put" && level == "ONE") continue;  // no etcd equivalent; see BadFlags
      auto r = run_binary(kv_bench(), {"--target", "etcd", "--nodes", cluster_->nodes_flag(), "--op", op,
                                       "--consistency", level, "--seconds", "1", "--clients", "8", "--keys", "200"},
                          std::chrono::seconds(30));
      ASSERT_EQ(r.exit_code, 0) << op << " " << level << "\n" << r.out << r.err;
      auto f = result_line(r.out);
      ASSERT_TRUE(f.count("ok")) << r.out;
      EXPECT_EQ(f["target"], "etcd");
      EXPECT_EQ(f["op"], op);
      EXPECT_GT(std::stol(f["ok"]), 0) << r.out;
      EXPECT_EQ(f["errors"], "0") << r.out;
      EXPECT_GT(std::stod(f["ops_per_s"]), 0) << r.out;
      if (op == "get") {
        EXPECT_NE(r.out.find("prefill: 200 of 200 keys written"), std::string::npos) << r.out;
      }
    }
  }
}

// Flag errors need no etcd, so they run even where it is missing.
TEST(KvBenchFlags, BadFlagsExit254WithTheFlagNamed) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--nodes", "127.0.0.1:1", "--bogus", "1"}, "--bogus"},
      {{"--clients", "4"}, "--nodes"},
      {{"--nodes", "127.0.0.1:1", "--target", "redis"}, "--target"},
      {{"--nodes", "localhost"}, "localhost"},
      {{"--nodes", "127.0.0.1:99999"}, "port"},
      {{"--nodes", "127.0.0.1:1", "--clients", "0"}, "--clients"},
      {{"--nodes", "127.0.0.1:1", "--op", "delete"}, "--op"},
      {{"--nodes", "127.0.0.1:1", "--target", "etcd", "--op", "put", "--consistency", "ONE"}, "etcd has no such write level"},
      {{"--nodes", "127.0.0.1:1", "--target", "etcd", "--op", "get", "--consistency", "ALL"}, "etcd has no ALL"},
  };
  for (const auto& c : cases) {
    auto r = run_binary(kv_bench(), c.args, std::chrono::seconds(10));
    EXPECT_EQ(r.exit_code, 254) << c.says << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << "stderr should name " << c.says << ":\n" << r.err;
  }
  auto help = run_binary(kv_bench(), {"--help"}, std::chrono::seconds(10));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--target"), std::string::npos);
}

TEST(CompareEtcdScript, BadFlagsExit254BeforeStartingAnything) {
  const std::string script = (faultline::testing::source_dir() / "workloads" / "bench" / "compare_etcd.sh").string();
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--reps", "0"}, {"--seconds", "x"}, {"--seconds", "601"}, {"--bogus", "1"}, {"--clients"}}) {
    std::vector<std::string> argv = {script};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_binary("/bin/bash", argv, std::chrono::seconds(10));
    EXPECT_EQ(r.exit_code, 254) << args[0] << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(args[0]), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("load before"), std::string::npos) << "started work despite bad flags:\n" << r.out;
  }
}

// Nothing listening: the run completes in bounded time and says it failed.
TEST(KvBenchFlags, NothingListeningExitsOneWithErrorsCounted) {
  const int port = faultline::testing::free_loopback_ports(1)[0];
  auto r = run_binary(kv_bench(), {"--target", "etcd", "--nodes", "127.0.0.1:" + std::to_string(port), "--seconds",
                                   "1", "--clients", "2", "--timeout-ms", "200"},
                      std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto f = result_line(r.out);
  EXPECT_EQ(f["ok"], "0");
  EXPECT_GT(std::stol(f["errors"]), 0);
  EXPECT_NE(r.out.find("connect"), std::string::npos) << r.out;
}

}  // namespace
