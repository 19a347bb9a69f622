// `faultline check` as a user runs it: real binary, real conformance files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "faultline/testing/run_binary.h"

namespace faultline::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kPorcupine = fs::path(FAULTLINE_CONFORMANCE_DIR) / "porcupine";

std::size_t count_invocations(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    if (line.find(":invoke") != std::string::npos) ++n;
  }
  return n;
}

std::string write_temp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / ("faultline-check-cli-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(p) << text;
  return p.string();
}

TEST(CheckCli, ParseOnlyReadsEveryConformanceFile) {
  std::size_t files = 0;
  for (const char* dir : {"jepsen", "kv"}) {
    for (const auto& entry : fs::directory_iterator(kPorcupine / dir)) {
      RunResult r = run_faultline({"check", "--parse-only", entry.path().string()});
      ASSERT_EQ(r.exit_code, 0) << entry.path() << "\n" << r.err;
      auto doc = nlohmann::json::parse(r.out);
      EXPECT_EQ(doc["operations"].get<std::size_t>(), count_invocations(entry.path())) << entry.path();
      EXPECT_NE(r.err.find("parsed"), std::string::npos) << r.err;
      ++files;
    }
  }
  EXPECT_EQ(files, 108u);
}

TEST(CheckCli, SeveralFilesGiveOneDocumentEach) {
  RunResult r = run_faultline({"check", "--parse-only", (kPorcupine / "jepsen/etcd_000.log").string(),
                               (kPorcupine / "kv/c01-ok.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int docs = 0;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(nlohmann::json::parse(line).contains("operations"));
    ++docs;
  }
  EXPECT_EQ(docs, 2);
}

TEST(CheckCli, MissingFileIsUsageError) {
  RunResult r = run_faultline({"check", "--parse-only", "/nonexistent/history.jsonl"});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("/nonexistent/history.jsonl"), std::string::npos) << r.err;
}

TEST(CheckCli, SyntaxErrorNamesFileLineAndColumn) {
  std::string path = write_temp("bad.jsonl",
                                "{\"index\":0,\"time\":1,\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
                                "{\"index\":1,\"time\":2,\"process\":0,\"type\":\"okay\",\"f\":\"read\",\"value\":null}\n");
  RunResult r = run_faultline({"check", "--parse-only", path});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find(path + ":2:"), std::string::npos) << r.err;
  fs::remove(path);
}

TEST(CheckCli, UnpairedCompletionIsRejectedWithItsIndex) {
  std::string path = write_temp("unpaired.edn", "[{:process 0 :type :invoke :f :read :value nil}\n"
                                                " {:process 1 :type :ok :f :read :value 3}]\n");
  RunResult r = run_faultline({"check", "--parse-only", path});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("index 1"), std::string::npos) << r.err;
  fs::remove(path);
}

TEST(CheckCli, UnknownModelIsUsageError) {
  RunResult r = run_faultline({"check", "--model", "bogus", (kPorcupine / "kv/c01-ok.txt").string()});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("bogus"), std::string::npos) << r.err;
}

TEST(CheckCli, VerdictsDecideTheExitCode) {
  const std::string bad = (kPorcupine / "jepsen/etcd_000.log").string();   // not linearizable
  const std::string good = (kPorcupine / "jepsen/etcd_002.log").string();  // linearizable
  RunResult ok = run_faultline({"check", "--model", "cas-register", good});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(nlohmann::json::parse(ok.out)["valid"], true) << ok.out;
  EXPECT_NE(ok.err.find("valid"), std::string::npos) << ok.err;

  RunResult invalid = run_faultline({"check", "--model", "cas-register", bad});
  EXPECT_EQ(invalid.exit_code, 1) << invalid.err;
  auto doc = nlohmann::json::parse(invalid.out);
  EXPECT_EQ(doc["valid"], false) << invalid.out;
  ASSERT_FALSE(doc["results"][0]["anomalies"].empty()) << invalid.out;
  EXPECT_FALSE(doc["results"][0]["anomalies"][0]["witness"].empty()) << invalid.out;

  RunResult both = run_faultline({"check", "--model", "cas-register", good, bad});
  EXPECT_EQ(both.exit_code, 1) << "the exit code is the worst verdict";
}

TEST(CheckCli, ModelComesFromTheHistorysMeta) {
  // A set history whose element 2 is acknowledged and then missing from the final read.
  std::string path = write_temp(
      "lost.jsonl",
      "{\"meta\":{\"model\":\"set\"}}\n"
      "{\"index\":0,\"time\":10,\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1}\n"
      "{\"index\":1,\"time\":20,\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":1}\n"
      "{\"index\":2,\"time\":30,\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":2}\n"
      "{\"index\":3,\"time\":40,\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":2}\n"
      "{\"index\":4,\"time\":50,\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
      "{\"index\":5,\"time\":60,\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":[1]}\n");
  RunResult r = run_faultline({"check", path});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["model"], "set");
  EXPECT_NE(doc.dump().find("lost"), std::string::npos) << r.out;
  fs::remove(path);
}

TEST(CheckCli, NoModelAnywhereIsUsageError) {
  RunResult r = run_faultline({"check", (kPorcupine / "kv/c01-ok.txt").string()});
  EXPECT_EQ(r.exit_code, 254);
  EXPECT_NE(r.err.find("--model"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace faultline::testing
