// Every row of the shared Porcupine conformance set gives its known verdict:
// etcd logs as cas-register, kv files per key (kv) and as one map (kv-map).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "faultline/checker/linearizability.h"
#include "faultline/checker/load.h"

namespace faultline::check {
namespace {

namespace fs = std::filesystem;
const fs::path kDir = fs::path(FAULTLINE_CONFORMANCE_DIR) / "porcupine";

struct Row {
  std::string file, model, expected;
};

std::vector<Row> rows() {
  std::ifstream in(kDir / "verdicts.tsv");
  std::vector<Row> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    Row r;
    std::getline(fields, r.file, '\t');
    std::getline(fields, r.model, '\t');
    std::getline(fields, r.expected, '\t');
    out.push_back(r);
  }
  return out;
}

LinModel model_of(const std::string& tsv_model) {
  if (tsv_model == "cas-register") return LinModel::kCasRegister;
  if (tsv_model == "kv-per-key") return LinModel::kKv;
  if (tsv_model == "kv-whole-map") return LinModel::kKvMap;
  ADD_FAILURE() << "unknown model in verdicts.tsv: " << tsv_model;
  return LinModel::kCasRegister;
}

TEST(Conformance, EveryRowGivesTheKnownVerdict) {
  const auto all = rows();
  ASSERT_EQ(all.size(), 112u) << "verdicts.tsv should list 112 verdicts";
  int checked = 0;
  for (const Row& row : all) {
    SCOPED_TRACE(row.file + " as " + row.model);
    history::History h = history::load_history((kDir / row.file).string());
    LinearizabilityOptions options;
    options.model = model_of(row.model);
    options.time_budget_seconds = 60;
    const Result result = check_linearizability(h, options);
    ASSERT_NE(result.valid, Validity::kUnknown) << to_json(result).dump();
    const Validity expected = row.expected == "linearizable" ? Validity::kValid : Validity::kInvalid;
    EXPECT_EQ(result.valid, expected) << row.file << " expected " << row.expected;
    if (result.valid == Validity::kInvalid) {
      EXPECT_FALSE(result.anomalies.empty()) << row.file;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 112);
}

}  // namespace
}  // namespace faultline::check
