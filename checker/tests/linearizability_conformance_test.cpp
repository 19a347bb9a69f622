// Every row of the Porcupine conformance set (checker/tests/data/porcupine/
// verdicts.tsv) must get its expected verdict: etcd logs as cas-register,
// kv files as kv (kv-per-key rows) or kv-map (kv-whole-map rows). The etcd
// logs hold under Jepsen's reading of a failed cas (it did not happen) and
// under Porcupine's etcd model (it compared and lost), the latter by mapping
// each failed cas to an explicit observation as it is loaded.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "linearizability/linearizability.h"
#include "faultline/history/load.h"
#include "faultline/testing/paths.h"

namespace faultline::check {
namespace {

struct Row {
  std::string file, model, expected;
};

std::string dir() { return (faultline::testing::conformance_dir() / "porcupine").string() + "/"; }

std::vector<Row> rows() {
  std::vector<Row> out;
  std::ifstream tsv(dir() + "verdicts.tsv");
  std::string line;
  std::getline(tsv, line);  // header
  while (std::getline(tsv, line)) {
    std::istringstream in(line);
    Row r;
    if (in >> r.file >> r.model >> r.expected) out.push_back(r);
  }
  return out;
}

class Conformance : public ::testing::TestWithParam<Row> {};

TEST_P(Conformance, ExpectedVerdict) {
  const Row& row = GetParam();
  LinearizabilityOptions o;
  o.model = row.model == "cas-register" ? LinModel::kCasRegister
            : row.model == "kv-per-key"  ? LinModel::kKv
                                         : LinModel::kKvMap;
  o.time_budget_seconds = 60;
  history::History h = history::load_history(dir() + row.file);
  if (row.model == "cas-register") {
    history::History etcd_model = h;
    history::observe_failed_cas(etcd_model);
    const Result r = check_linearizability(etcd_model, o);
    ASSERT_EQ(r.valid, row.expected == "linearizable" ? Validity::kValid : Validity::kInvalid)
        << row.file << " under the etcd model's reading of a failed cas";
  }
  const Result r = check_linearizability(h, o);
  ASSERT_FALSE(r.details.contains("error")) << r.details["error"];
  const Validity expected = row.expected == "linearizable" ? Validity::kValid : Validity::kInvalid;
  ASSERT_EQ(r.valid, expected) << row.file << " as " << row.model << ": " << to_json(r).dump().substr(0, 2000);
  if (expected == Validity::kInvalid) {
    ASSERT_FALSE(r.anomalies.empty());
    for (const Anomaly& a : r.anomalies) {
      EXPECT_EQ(a.kind, "nonlinearizable");
      EXPECT_FALSE(a.witness.empty());
      EXPECT_TRUE(a.details["linearizable_prefix"]["complete"].get<bool>()) << a.description;
    }
  }
}

TEST(ConformanceSet, IsThere) { EXPECT_GE(rows().size(), 100u) << "read " << dir() << "verdicts.tsv"; }

std::string row_name(const ::testing::TestParamInfo<Row>& info) {
  std::string name = info.param.file + "_" + info.param.model;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Porcupine, Conformance, ::testing::ValuesIn(rows()), row_name);

}  // namespace
}  // namespace faultline::check
