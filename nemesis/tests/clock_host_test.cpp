// The clock fault in host mode (the ssh backend): every window's offsets are
// reached by `agent clock-step` deltas that add up to exactly the recorded
// offset, closing a window steps each host back to 0, healing starts the time
// daemons it stopped, and every step carries this machine's boot_id so the
// agent refuses to step our own clock. The commands are recorded, not run.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <random>

#include "faultline/nemesis/fault.h"

namespace {

using faultline::nemesis::NemesisNode;

class RecordingControl final : public faultline::nemesis::NodeControl {
 public:
  std::vector<NemesisNode> nodes() const override { return {{"n1", "10.0.0.1"}, {"n2", "10.0.0.2"}, {"n3", "10.0.0.3"}}; }
  std::vector<std::string> in_node(const std::string& node, const std::vector<std::string>& argv) const override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back({node, argv});
    // What "runs on the host": prints a stopped time service for the NTP stop.
    if (argv.size() == 3 && argv[0] == "sh" && argv[2].find("systemctl is-active") != std::string::npos) {
      return {"/bin/echo", "systemd-timesyncd"};
    }
    return {"/bin/true"};
  }
  std::string device(const std::string&) const override { return "eth0"; }
  std::vector<std::pair<std::string, std::string>> env() const override { return {}; }
  bool running(const std::string&) override { return true; }
  pid_t pid(const std::string&) override { return 1; }
  void kill(const std::string&) override {}
  void restart(const std::string&) override {}
  void sigstop(const std::string&) override {}
  void sigcont(const std::string&) override {}
  void set_zombie(const std::string&, bool) override {}

  // Sum of clock-step deltas per node, and the boot ids they carried.
  std::map<std::string, long long> stepped(std::vector<std::string>* boot_ids = nullptr) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, long long> sum;
    for (const auto& [node, argv] : calls_) {
      if (argv.size() < 6 || argv[1] != "clock-step") continue;
      sum[node] += std::stoll(argv[3]);
      if (boot_ids) boot_ids->push_back(argv[5]);
    }
    return sum;
  }
  int count(const std::string& needle) const {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& [node, argv] : calls_)
      for (const auto& a : argv)
        if (a.find(needle) != std::string::npos) ++n;
    return n;
  }

 private:
  mutable std::mutex mu_;
  mutable std::vector<std::pair<std::string, std::vector<std::string>>> calls_;
};

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  in >> id;
  return id;
}

TEST(ClockHostMode, StepsAddUpToTheRecordedOffsetsAndHealBackToZero) {
  RecordingControl control;
  faultline::nemesis::NemesisOptions options;
  options.run_id = "t1";
  options.agent = "/tmp/faultline-t1/bin/faultline-agent";
  options.clock_mode = "host";
  auto fault = faultline::nemesis::make_fault("clock", control, options);
  int bumps = 0;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    std::mt19937_64 rng(seed);
    const faultline::nemesis::FaultWindow w = fault->start(rng);
    ASSERT_FALSE(w.nodes.empty());
    if (w.params.value("mode", "") == "bump") {
      ++bumps;
      const auto sums = control.stepped();
      for (const auto& node : w.nodes) {
        EXPECT_EQ(sums.at(node), w.params["offsets_ms"][node].get<long long>()) << "seed " << seed << " " << node;
      }
    }
    const nlohmann::json stop = fault->stop();
    EXPECT_EQ(stop.value("mode", ""), "reset");
    for (const auto& [node, sum] : control.stepped()) EXPECT_EQ(sum, 0) << "seed " << seed << " " << node;
  }
  EXPECT_GT(bumps, 0);
  std::vector<std::string> ids;
  control.stepped(&ids);
  ASSERT_FALSE(ids.empty());
  for (const auto& id : ids) EXPECT_EQ(id, boot_id());  // the agent refuses hosts with our kernel
  // NTP: stopped once per host at the first window, started again at heal.
  EXPECT_EQ(control.count("systemctl is-active"), 3);
  EXPECT_TRUE(fault->heal_all().empty());
  EXPECT_EQ(control.count("systemctl start systemd-timesyncd"), 3);
  EXPECT_TRUE(fault->heal_all().empty());
  EXPECT_EQ(control.count("systemctl start systemd-timesyncd"), 3);  // once
}

}  // namespace
