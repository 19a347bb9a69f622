// Runs the real `faultline doctor` and holds it to account: complete, fast,
// exit 0, and honest — what it calls ok or missing must agree with an
// independent check made here with iproute2 / nft / iptables, and it must
// leave no namespace, link, rule, cgroup or file behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "faultline/testing/require_root.h"
#include "faultline/process/command.h"
#include "faultline/testing/paths.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;
using process::CommandResult;
using process::run_command;

const std::string kFaultline = (faultline::testing::binary_dir() / "harness" / "faultline").string();

struct Doctor {
  CommandResult result;
  std::chrono::milliseconds took{0};
};

Doctor run_doctor(std::vector<std::string> prefix = {}, bool json = true) {
  std::vector<std::string> argv = std::move(prefix);
  argv.push_back(kFaultline);
  argv.push_back("doctor");
  if (json) argv.push_back("--json");
  const auto start = std::chrono::steady_clock::now();
  Doctor d;
  d.result = run_command(argv, {.timeout = 30s, .max_output = 1 << 20});
  d.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return d;
}

nlohmann::json parse(const Doctor& d) {
  EXPECT_TRUE(d.result.succeeded()) << d.result.describe() << "\n" << d.result.output;
  try {
    return nlohmann::json::parse(d.result.output);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "doctor --json is not JSON: " << e.what() << "\n" << d.result.output;
    return nlohmann::json::object();
  }
}

const nlohmann::json* capability(const nlohmann::json& report, const std::string& name) {
  if (!report.contains("capabilities")) return nullptr;
  for (const auto& c : report["capabilities"]) {
    if (c.value("name", "") == name) return &c;
  }
  return nullptr;
}

bool shell_in_scratch_netns(const std::string& script) {
  return run_command({"unshare", "-n", "sh", "-c", script}, {.timeout = 10s}).succeeded();
}

TEST(DoctorBinary, JsonIsCompleteFastAndExitsZero) {
  Doctor d = run_doctor();
  nlohmann::json report = parse(d);
  EXPECT_LT(d.took, 5s) << "doctor took " << d.took.count() << " ms";
  std::set<std::string> names;
  int ok = 0;
  for (const auto& c : report["capabilities"]) {
    names.insert(c["name"].get<std::string>());
    std::string reason = c["reason"].get<std::string>();
    EXPECT_FALSE(reason.empty()) << c.dump();
    EXPECT_EQ(reason.find('\n'), std::string::npos) << c.dump();
    if (c["ok"].get<bool>()) {
      ++ok;
      EXPECT_TRUE(c["disables"].empty()) << c.dump();
    } else {
      EXPECT_FALSE(c["disables"].empty()) << "a missing capability must say what it disables: " << c.dump();
    }
  }
  const std::set<std::string> expected{"root",    "netns",   "veth",        "bridge",         "nftables", "iptables",
                                       "netem",   "prio",    "u32",         "htb",            "tbf",      "nfqueue",
                                       "libfaketime", "cgroup-freezer", "sigstop", "graphviz", "ssh-client"};
  EXPECT_EQ(names, expected);
  EXPECT_EQ(report["summary"]["ok"].get<int>(), ok);
  EXPECT_EQ(report["summary"]["missing"].get<int>(), static_cast<int>(names.size()) - ok);
  EXPECT_EQ(report["root"].get<bool>(), ::geteuid() == 0);
  // Always possible, whoever runs it.
  EXPECT_TRUE((*capability(report, "sigstop"))["ok"].get<bool>());
  EXPECT_TRUE((*capability(report, "graphviz"))["ok"].get<bool>()) << capability(report, "graphviz")->dump();
}

TEST(DoctorBinary, TableShowsTheSameVerdicts) {
  nlohmann::json report = parse(run_doctor());
  Doctor table = run_doctor({}, false);
  ASSERT_TRUE(table.result.succeeded()) << table.result.describe();
  const std::string& text = table.result.output;
  EXPECT_NE(text.find("CAPABILITY"), std::string::npos);
  for (const auto& c : report["capabilities"]) {
    const std::string title = c["title"].get<std::string>();
    const std::string status = c["ok"].get<bool>() ? "ok" : "missing";
    auto at = text.find("\n" + title + " ");
    ASSERT_NE(at, std::string::npos) << "no row for " << title << "\n" << text;
    std::string row = text.substr(at + 1, text.find('\n', at + 1) - at - 1);
    EXPECT_NE(row.find("  " + status + " "), std::string::npos) << row;
  }
}

TEST(DoctorBinary, RootCapabilitiesAreOkWhenRoot) {
  FAULTLINE_REQUIRE_ROOT();
  nlohmann::json report = parse(run_doctor());
  for (const char* name : {"root", "netns", "veth", "bridge", "nftables", "sigstop"}) {
    const nlohmann::json* c = capability(report, name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_TRUE((*c)["ok"].get<bool>()) << c->dump();
    EXPECT_TRUE((*c)["probed"].get<bool>()) << c->dump();
  }
}

// Each kernel facility doctor probes through libnl is re-checked here with
// iproute2 or the firewall tools in a namespace of our own.
TEST(DoctorBinary, AgreesWithIndependentChecks) {
  FAULTLINE_REQUIRE_ROOT();
  nlohmann::json report = parse(run_doctor());
  const std::vector<std::pair<std::string, std::string>> checks{
      {"netem", "ip link set lo up && tc qdisc add dev lo root netem delay 10ms"},
      {"prio", "ip link set lo up && tc qdisc add dev lo root handle 1: prio bands 4"},
      {"htb", "ip link set lo up && tc qdisc add dev lo root handle 1: htb"},
      {"tbf", "ip link set lo up && tc qdisc add dev lo root tbf rate 1mbit burst 32kbit latency 50ms"},
      {"veth", "ip link add fl-ck-a type veth peer name fl-ck-b"},
      {"bridge", "ip link add fl-ck-br type bridge"},
      {"nftables", "nft add table inet fl_check && nft add chain inet fl_check c "
                   "'{ type filter hook input priority 0; }' && nft add rule inet fl_check c drop"},
      {"iptables", "iptables -w 2 -A INPUT -s 127.0.0.2 -j DROP"},
  };
  for (const auto& [name, script] : checks) {
    const nlohmann::json* c = capability(report, name);
    ASSERT_NE(c, nullptr) << name;
    bool independent = shell_in_scratch_netns(script);
    EXPECT_EQ((*c)["ok"].get<bool>(), independent)
        << name << ": doctor says " << c->dump() << ", but `" << script << "` " << (independent ? "works" : "fails");
  }
}

TEST(DoctorBinary, MissingNetemPointsAtTheFallbackAndTheVmLane) {
  FAULTLINE_REQUIRE_ROOT();
  nlohmann::json report = parse(run_doctor());
  const nlohmann::json* netem = capability(report, "netem");
  ASSERT_NE(netem, nullptr);
  if ((*netem)["ok"].get<bool>()) {
    EXPECT_EQ(report["mechanisms"]["packet_faults"], "netem");
    GTEST_SKIP() << "this kernel has netem; the fallback wording is not shown";
  }
  EXPECT_NE((*netem)["reason"].get<std::string>().find("sch_netem"), std::string::npos) << netem->dump();
  const std::string fallback = (*netem)["fallback"].get<std::string>();
  EXPECT_NE(fallback.find("qemu VM lane"), std::string::npos) << fallback;
  if ((*capability(report, "nfqueue"))["ok"].get<bool>()) {
    EXPECT_NE(fallback.find("NFQUEUE userspace shaper"), std::string::npos) << fallback;
    EXPECT_EQ(report["mechanisms"]["packet_faults"], "nfqueue");
  }
  Doctor table = run_doctor({}, false);
  EXPECT_NE(table.result.output.find("instead:  packet faults use the NFQUEUE userspace shaper"), std::string::npos)
      << table.result.output;
}

// Each leftover is one line naming one object, so that objects of a doctor run
// by a parallel test can be told apart from ours by set difference.
std::set<std::string> leftovers() {
  namespace fs = std::filesystem;
  std::set<std::string> found;
  std::error_code ec;
  for (const char* dir : {"/sys/fs/cgroup/freezer", "/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/tmp"}) {
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().filename().string().rfind("faultline-doctor-", 0) == 0) found.insert(e.path().string());
    }
  }
  auto lines_with = [&](const std::vector<std::string>& argv, const std::string& needle) {
    std::istringstream in(run_command(argv).output);
    for (std::string line; std::getline(in, line);) {
      if (line.find(needle) != std::string::npos) found.insert(argv[0] + ": " + line);
    }
  };
  // The doctor's probe links (flt-va/vb/ba/bb/br) live in scratch namespaces;
  // seeing one in ours means a probe leaked it. Other tests' run links and
  // namespaces (faultline-<run>-*, fl<run>*) are not the doctor's.
  for (const char* name : {"flt-va", "flt-vb", "flt-ba", "flt-bb", "flt-br"}) {
    lines_with({"ip", "-o", "link"}, std::string(" ") + name + ":");
    lines_with({"ip", "-o", "link"}, std::string(" ") + name + "@");
  }
  lines_with({"ip", "netns", "list"}, "faultline-doctor");
  lines_with({"nft", "list", "tables"}, "faultline_doctor");
  lines_with({"iptables", "-w", "2", "-S"}, "47999");
  return found;
}

std::string new_since(const std::set<std::string>& before, const std::set<std::string>& after) {
  std::string out;
  for (const auto& item : after) {
    if (!before.count(item)) out += item + "\n";
  }
  return out;
}

TEST(DoctorBinary, LeavesNothingBehind) {
  FAULTLINE_REQUIRE_ROOT();
  const std::set<std::string> before = leftovers();
  ASSERT_TRUE(run_doctor().result.succeeded());
  ASSERT_TRUE(run_doctor({}, false).result.succeeded());
  std::string added = new_since(before, leftovers());
  // Another doctor (a test running in parallel) may be mid-probe; what ours
  // left behind would still be there a few seconds later, theirs would not.
  for (int i = 0; i < 10 && !added.empty(); ++i) {
    std::this_thread::sleep_for(1s);
    added = new_since(before, leftovers());
  }
  EXPECT_EQ(added, "");
}

// Without root, doctor must not fail weirdly: the privileged probes say
// "needs root" and are marked not probed; the rest still run.
TEST(DoctorBinary, UnprivilegedRunSaysNeedsRoot) {
  std::vector<std::string> prefix;
  if (::geteuid() == 0) {
    if (!process::find_program("setpriv")) GTEST_SKIP() << "setpriv (util-linux) not found to drop root";
    prefix = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--"};
  }
  Doctor d = run_doctor(prefix);
  if (!d.result.succeeded() && d.result.output.find("Permission denied") != std::string::npos) {
    GTEST_SKIP() << "nobody cannot execute " << kFaultline;
  }
  nlohmann::json report = parse(d);
  EXPECT_FALSE(report["root"].get<bool>());
  EXPECT_FALSE((*capability(report, "root"))["ok"].get<bool>());
  for (const char* name : {"netns", "veth", "bridge", "nftables", "iptables", "netem", "nfqueue"}) {
    const nlohmann::json* c = capability(report, name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_FALSE((*c)["ok"].get<bool>());
    EXPECT_FALSE((*c)["probed"].get<bool>());
    EXPECT_EQ((*c)["reason"].get<std::string>().rfind("needs root", 0), 0u) << c->dump();
  }
  EXPECT_TRUE((*capability(report, "sigstop"))["ok"].get<bool>());
  EXPECT_EQ(report["mechanisms"]["partitions"], "none");
}

}  // namespace
}  // namespace faultline
