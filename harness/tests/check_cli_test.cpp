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

}  // namespace
}  // namespace faultline::testing
