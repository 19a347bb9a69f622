#include "faultline/node/config.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace faultline::node {
namespace {

using Json = nlohmann::json;

Json three_members() {
  return Json{{"node_id", "n1"},
              {"data_dir", "/tmp/x"},
              {"members", {"n1=127.0.0.1:7001", "n2=127.0.0.1:7002", {{"id", "n3"}, {"addr", "127.0.0.1:7003"}}}}};
}

TEST(Config, SafeIsTheDefault) {
  NodeConfig c = config_from_json(three_members());
  validate(c);
  EXPECT_EQ(c.preset, "safe");
  EXPECT_EQ(c.n, 3);
  EXPECT_EQ(c.r, 2);
  EXPECT_EQ(c.w, 2);
  EXPECT_EQ(c.write_mode, WriteMode::kTwoPhase);
  EXPECT_EQ(c.read_repair, ReadRepair::kBlocking);
  EXPECT_EQ(c.versioning, Versioning::kLwwHlc);
  EXPECT_EQ(c.fsync, FsyncPolicy::kAlways);
  EXPECT_TRUE(c.hinted_handoff);
  EXPECT_FALSE(c.sloppy_quorum);
  EXPECT_EQ(c.vnodes, 64);
  EXPECT_EQ(c.listen_port, 7001);  // from the member list
}

TEST(Config, EveryPresetWeakensOneThing) {
  const NodeConfig safe = preset("safe");
  for (const auto& name : preset_names()) {
    Json j = three_members();
    j["preset"] = name;
    NodeConfig c = config_from_json(j);
    ASSERT_NO_THROW(validate(c)) << name;
    EXPECT_EQ(c.preset, name);
  }
  auto get = [](const std::string& name) {
    Json j = three_members();
    j["preset"] = name;
    return config_from_json(j);
  };
  EXPECT_EQ(get("r1w1").r, 1);
  EXPECT_EQ(get("r1w1").w, 1);
  EXPECT_TRUE(get("sloppy").sloppy_quorum);
  EXPECT_EQ(get("lww-wall").versioning, Versioning::kLwwWall);
  EXPECT_EQ(get("lww-wall").write_mode, WriteMode::kOnePhase);
  EXPECT_EQ(get("no-repair").read_repair, ReadRepair::kNone);
  EXPECT_EQ(get("fsync-never").fsync, FsyncPolicy::kNever);
  EXPECT_FALSE(get("no-hints").hinted_handoff);
}

TEST(Config, KeysOverrideThePreset) {
  Json j = three_members();
  j["preset"] = "r1w1";
  j["w"] = "ALL";
  j["versioning"] = "vv";
  j["write_mode"] = "one-phase";
  NodeConfig c = config_from_json(j);
  validate(c);
  EXPECT_EQ(c.r, 1);
  EXPECT_EQ(c.w, 3);
  EXPECT_EQ(c.versioning, Versioning::kVv);
}

TEST(Config, ConsistencyNames) {
  EXPECT_EQ(resolve_consistency("ONE", 5), 1);
  EXPECT_EQ(resolve_consistency("quorum", 5), 3);
  EXPECT_EQ(resolve_consistency("ALL", 5), 5);
  EXPECT_EQ(resolve_consistency(2, 5), 2);
  EXPECT_EQ(resolve_consistency("2", 5), 2);
  EXPECT_EQ(resolve_consistency("most", 5), std::nullopt);
  EXPECT_EQ(resolve_consistency(0, 5), std::nullopt);
  EXPECT_EQ(resolve_consistency(Json::array(), 5), std::nullopt);
}

void expect_error(Json j, const std::string& fragment) {
  try {
    NodeConfig c = config_from_json(j);
    validate(c);
    FAIL() << "accepted: " << j.dump();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Config, BadConfigsSayWhy) {
  Json j = three_members();
  j["colour"] = "blue";
  expect_error(j, "unknown config key 'colour'");
  j = three_members();
  j["preset"] = "yolo";
  expect_error(j, "unknown preset");
  j = three_members();
  j["n"] = 4;
  expect_error(j, "exceeds 3 members");
  j = three_members();
  j["w"] = 5;
  expect_error(j, "w:");
  j = three_members();
  j["versioning"] = "vv";
  expect_error(j, "two-phase");
  j = three_members();
  j["fsync"] = "sometimes";
  expect_error(j, "fsync: unknown value 'sometimes'");
  j = three_members();
  j["node_id"] = "n9";
  expect_error(j, "not in members");
  j = three_members();
  j["members"].push_back("n1=127.0.0.1:7009");
  expect_error(j, "duplicate id");
  j = three_members();
  j["members"].push_back("n4=127.0.0.1:99999");
  expect_error(j, "port");
  j = three_members();
  j["n"] = "three";
  expect_error(j, "expected an integer");
  j = three_members();
  j.erase("data_dir");
  expect_error(j, "data_dir");
}

TEST(Config, CommandLineOverridesFile) {
  auto dir = std::filesystem::temp_directory_path() / ("cfgtest-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = (dir / "node.json").string();
  std::ofstream(file) << three_members().dump();
  const char* argv[] = {"faultline-node", "--config", file.c_str(), "--preset", "no-hints", "--r", "ONE", "--vnodes", "16"};
  int code = -1;
  auto c = parse_command_line(9, argv, code);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(code, 0);
  EXPECT_FALSE(c->hinted_handoff);
  EXPECT_EQ(c->r, 1);
  EXPECT_EQ(c->vnodes, 16);
  EXPECT_EQ(c->members.size(), 3u);
  std::filesystem::remove_all(dir);
}

TEST(Config, BadCommandLineExitsNonZero) {
  const char* argv[] = {"faultline-node", "--config", "/nonexistent/node.json"};
  int code = 0;
  EXPECT_FALSE(parse_command_line(3, argv, code).has_value());
  EXPECT_NE(code, 0);
  const char* argv2[] = {"faultline-node", "--no-such-flag"};
  code = 0;
  EXPECT_FALSE(parse_command_line(2, argv2, code).has_value());
  EXPECT_NE(code, 0);
}

TEST(Config, JsonRoundTrip) {
  NodeConfig c = config_from_json(three_members());
  validate(c);
  Json j = c.to_json();
  NodeConfig d = config_from_json(j);
  validate(d);
  EXPECT_EQ(d.to_json(), j);
}

}  // namespace
}  // namespace faultline::node

namespace faultline::node {
namespace {

TEST(Config, MembershipModesAndTheirChecks) {
  Json j = three_members();
  NodeConfig c = config_from_json(j);
  validate(c);
  EXPECT_EQ(c.membership, MembershipMode::kSwim);  // the default mode
  EXPECT_EQ(c.central_monitor, "n1");  // default: the first member
  j["membership"] = "swim";
  j["swim_period_ms"] = 500;
  j["swim_probe_timeout_ms"] = 200;
  c = config_from_json(j);
  validate(c);
  EXPECT_EQ(c.membership, MembershipMode::kSwim);
  EXPECT_EQ(c.to_json()["membership"], "swim");
  EXPECT_EQ(c.swim_period_ms, 500);
  j = three_members();
  j["membership"] = "gossip";
  expect_error(j, "membership: unknown value 'gossip'");
  j = three_members();
  j["membership"] = "swim";
  j["swim_probe_timeout_ms"] = 1500;
  expect_error(j, "swim_probe_timeout_ms (1500) must not exceed swim_period_ms (1000)");
  j = three_members();
  j["membership"] = "central";
  j["central_monitor"] = "n7";
  expect_error(j, "central_monitor 'n7' is not in members");
  j = three_members();
  j["suspect_after_ms"] = 6000;
  expect_error(j, "suspect_after_ms must be below dead_after_ms");
}

TEST(Config, TombstoneGraceMustExceedTheAntiEntropyInterval) {
  Json j = three_members();
  NodeConfig safe = config_from_json(j);
  validate(safe);
  EXPECT_TRUE(safe.anti_entropy);  // safe repairs in the background
  EXPECT_EQ(safe.anti_entropy_interval_ms, 15000);
  EXPECT_GT(safe.tombstone_grace_ms, safe.anti_entropy_interval_ms);

  j["anti_entropy_interval_ms"] = 1000;
  j["tombstone_grace_ms"] = 500;
  NodeConfig c = config_from_json(j);
  try {
    validate(c);
    ADD_FAILURE() << "a grace shorter than the interval was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("tombstone_grace_ms (500) must exceed anti_entropy_interval_ms (1000)"),
              std::string::npos)
        << e.what();
  }
  j["tombstone_grace_ms"] = 0;  // never purge: fine
  c = config_from_json(j);
  EXPECT_NO_THROW(validate(c));
  // gc-grace sets it too short on purpose.
  j["preset"] = "gc-grace";
  j.erase("tombstone_grace_ms");
  j.erase("anti_entropy_interval_ms");
  c = config_from_json(j);
  EXPECT_NO_THROW(validate(c));
  EXPECT_LT(c.tombstone_grace_ms, c.anti_entropy_interval_ms);
  // ... and a hint window no longer than the grace, so a replica that missed
  // a delete by more than the window gets it from anti-entropy alone.
  EXPECT_LE(c.hint_window_ms, c.tombstone_grace_ms);
  EXPECT_TRUE(c.hinted_handoff);
  // no-hints turns off both background repairs; its anomaly needs both off.
  j["preset"] = "no-hints";
  c = config_from_json(j);
  EXPECT_FALSE(c.hinted_handoff);
  EXPECT_FALSE(c.anti_entropy);
  j["anti_entropy_depth"] = 7;
  EXPECT_THROW(config_from_json(j), ConfigError);
}

}  // namespace
}  // namespace faultline::node
