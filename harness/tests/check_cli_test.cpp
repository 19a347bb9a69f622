// `faultline check` as a user runs it: real binary, real conformance files.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "faultline/testing/run_binary.h"
#include "faultline/testing/paths.h"

namespace faultline::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kPorcupine = faultline::testing::conformance_dir() / "porcupine";

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

// Files are checked in parallel; what is printed, in what order, and the
// exit code must not depend on it.
TEST(CheckCli, ParallelFilesKeepTheirOrderAndVerdicts) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(kPorcupine / "jepsen")) files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  files.resize(24);
  const std::string broken = write_temp("broken.log", "not a history\n");
  files.insert(files.begin() + 5, broken);  // an unreadable file in the middle
  auto documents = [&](const std::string& jobs) {
    std::vector<std::string> argv = {"check", "--model", "cas-register", "--jobs", jobs};
    argv.insert(argv.end(), files.begin(), files.end());
    RunResult r = run_faultline(argv);
    EXPECT_EQ(r.exit_code, 254) << "the worst code is the unreadable file's\n" << r.err;
    std::vector<nlohmann::json> docs;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      auto doc = nlohmann::json::parse(line);
      doc.erase("seconds");
      for (auto& result : doc["results"]) result.erase("seconds");
      docs.push_back(doc);
    }
    return docs;
  };
  const auto serial = documents("1");
  const auto parallel = documents("3");
  ASSERT_EQ(serial.size(), files.size());
  ASSERT_EQ(parallel.size(), files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(parallel[i]["file"], files[i]) << i;
    EXPECT_EQ(parallel[i], serial[i]) << files[i];
  }
  EXPECT_EQ(parallel[5]["valid"], "unknown");
  fs::remove(broken);
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

// A Jepsen EDN history that is linearizable under Jepsen's semantics (a :fail
// op did not happen) and only a failed cas would contradict: with 4 in the
// register, cas [4 4] failing says the register did not hold 4.
const char* kFailedCasEdn =
    "{:type :invoke, :f :write, :value 4, :process 0, :index 0}\n"
    "{:type :ok, :f :write, :value 4, :process 0, :index 1}\n"
    "{:type :invoke, :f :cas, :value [4 4], :process 1, :index 2}\n"
    "{:type :fail, :f :cas, :value [4 4], :process 1, :index 3}\n"
    "{:type :invoke, :f :read, :value nil, :process 2, :index 4}\n"
    "{:type :ok, :f :read, :value 4, :process 2, :index 5}\n";

TEST(CheckCli, AFailedCasConstrainsNothingUnlessObserveIsAsked) {
  const std::string path = write_temp("failed-cas.edn", kFailedCasEdn);
  RunResult jepsen = run_faultline({"check", "--model", "cas-register", path});
  EXPECT_EQ(jepsen.exit_code, 0) << jepsen.out << jepsen.err;
  EXPECT_EQ(nlohmann::json::parse(jepsen.out)["valid"], true);

  RunResult observe = run_faultline({"check", "--model", "cas-register", "--failed-cas", "observe", path});
  EXPECT_EQ(observe.exit_code, 1) << observe.out << observe.err;
  const auto doc = nlohmann::json::parse(observe.out);
  EXPECT_EQ(doc["failed_cas_observed"], 1);
  const auto& a = doc["results"][0]["anomalies"][0];
  EXPECT_NE(a["description"].get<std::string>().find("cas [4,4] (compared, found another value)"), std::string::npos)
      << a.dump();

  RunResult bad = run_faultline({"check", "--model", "cas-register", "--failed-cas", "maybe", path});
  EXPECT_EQ(bad.exit_code, 254) << bad.err;
  EXPECT_NE(bad.err.find("--failed-cas"), std::string::npos) << bad.err;
  fs::remove(path);
}

TEST(CheckCli, AnExplicitCompareFailureIsAnObservationInJsonl) {
  const std::string path = write_temp(
      "cas-ok-false.jsonl",
      "{\"index\":0,\"time\":1,\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":4}\n"
      "{\"index\":1,\"time\":2,\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":4}\n"
      "{\"index\":2,\"time\":3,\"process\":1,\"type\":\"invoke\",\"f\":\"cas\",\"value\":[4,5]}\n"
      "{\"index\":3,\"time\":4,\"process\":1,\"type\":\"ok\",\"f\":\"cas\",\"value\":{\"ok\":false}}\n");
  RunResult r = run_faultline({"check", "--model", "cas-register", path});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  fs::remove(path);
}

// A register history as `faultline run` writes it for the r1w1 preset: two
// stale reads of one key and meta naming what the preset documents.
std::string r1w1_history(int stale_reads) {
  std::string text =
      "{\"meta\":{\"model\":\"register\",\"store_preset\":\"r1w1\",\"check\":{\"strict_stale\":true,"
      "\"expected_anomalies\":[\"stale-read\",\"nonlinearizable\"],\"expected_for\":\"r1w1\"}}}\n";
  int i = 0;
  auto op = [&](int p, const char* type, const char* f, const std::string& value) {
    text += "{\"index\":" + std::to_string(i) + ",\"time\":" + std::to_string(1000 * (i + 1)) +
            ",\"process\":" + std::to_string(p) + ",\"type\":\"" + type + "\",\"f\":\"" + f +
            "\",\"key\":\"r1\",\"value\":" + value + "}\n";
    ++i;
  };
  op(0, "invoke", "write", "1");
  op(0, "ok", "write", "1");
  op(0, "invoke", "write", "2");
  op(0, "ok", "write", "2");
  for (int n = 0; n < stale_reads; ++n) {
    op(1, "invoke", "read", "null");
    op(1, "ok", "read", "1");
  }
  return text;
}

TEST(CheckCli, AnomaliesThePresetDocumentsAreInvalidAndLabelledExpected) {
  const std::string path = write_temp("r1w1.jsonl", r1w1_history(2));
  RunResult r = run_faultline({"check", path});
  EXPECT_EQ(r.exit_code, 1) << "the verdict is the model's, whatever the preset\n" << r.out << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["valid"], false);
  EXPECT_EQ(doc["expected"], true);
  EXPECT_EQ(doc["headline"], "INVALID \u2014 expected for r1w1: nonlinearizable, stale reads");
  EXPECT_NE(r.err.find("INVALID \u2014 expected for r1w1"), std::string::npos) << r.err;

  RunResult met = run_faultline({"check", "--expect", "stale-read,nonlinearizable", path});
  EXPECT_EQ(met.exit_code, 0) << met.err;
  EXPECT_NE(met.err.find("--expect met"), std::string::npos) << met.err;
  RunResult unmet = run_faultline({"check", "--expect", "stale-read", path});
  EXPECT_EQ(unmet.exit_code, 1) << unmet.err;
  EXPECT_NE(unmet.err.find("not expected: nonlinearizable"), std::string::npos) << unmet.err;
  RunResult unknown_kind = run_faultline({"check", "--expect", "stale", "--expect", "bogus", path});
  EXPECT_EQ(unknown_kind.exit_code, 254) << unknown_kind.err;
  fs::remove(path);
}

TEST(CheckCli, EveryAnomalyIsCountedAboveTheWitnessCap) {
  const std::string path = write_temp("many-stale.jsonl", r1w1_history(40));
  RunResult r = run_faultline({"check", "--max-witnesses", "3", path});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["counts"]["stale-read"], 40) << r.out.substr(0, 500);
  for (const auto& res : doc["results"]) {
    if (res["checker"] == "register-stale-read") {
      EXPECT_EQ(res["anomalies"].size(), 3u);
      EXPECT_EQ(res["counts"]["stale-read"], 40);
    }
  }
  EXPECT_NE(r.err.find("40 stale-read"), std::string::npos) << r.err;
  fs::remove(path);
}

}  // namespace
}  // namespace faultline::testing
