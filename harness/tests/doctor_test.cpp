#include "faultline/harness/doctor.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace faultline::harness {
namespace {

using nemesis::Capability;

DoctorReport sample() {
  DoctorReport r;
  r.kernel = "6.1.0-test";
  r.root = true;
  r.elapsed = std::chrono::milliseconds(123);
  r.capabilities = {
      {"root", "root", true, true, "running as root (euid 0)", {}, {}},
      {"netem", "kernel netem", false, true, "no sch_netem: qdisc kind unknown",
       {"kernel netem packet faults"}, "packet faults use the NFQUEUE userspace shaper"},
      {"graphviz", "Graphviz (libgvc)", false, false, "needs root", {"diagrams", "more"}, ""},
  };
  r.mechanisms = {"nftables", "nfqueue", "cgroup-freezer", "libfaketime"};
  return r;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(DoctorTable, ListsEachCapabilityWithStatusAndReason) {
  std::string table = format_doctor_table(sample());
  EXPECT_NE(table.find("kernel 6.1.0-test, running as root"), std::string::npos);
  auto ls = lines(table);
  auto find_line = [&](const std::string& prefix) -> std::string {
    for (const auto& l : ls) {
      if (l.rfind(prefix, 0) == 0) return l;
    }
    return "";
  };
  std::string header = find_line("CAPABILITY");
  ASSERT_FALSE(header.empty()) << table;
  std::string root = find_line("root ");
  std::string netem = find_line("kernel netem");
  ASSERT_FALSE(root.empty());
  ASSERT_FALSE(netem.empty());
  // Columns line up: STATUS and REASON start at the same offset on every row.
  const auto status_col = header.find("STATUS");
  const auto reason_col = header.find("REASON");
  EXPECT_EQ(root.substr(status_col, 2), "ok");
  EXPECT_EQ(netem.substr(status_col, 7), "missing");
  EXPECT_EQ(root.substr(reason_col), "running as root (euid 0)");
  EXPECT_EQ(netem.substr(reason_col), "no sch_netem: qdisc kind unknown");
}

TEST(DoctorTable, MissingCapabilitiesSayWhatTheyDisableAndWhatTakesOver) {
  std::string table = format_doctor_table(sample());
  EXPECT_NE(table.find("disables: kernel netem packet faults"), std::string::npos);
  EXPECT_NE(table.find("instead:  packet faults use the NFQUEUE userspace shaper"), std::string::npos);
  EXPECT_NE(table.find("disables: diagrams; more\n"), std::string::npos);
  // An ok capability has no disables line.
  EXPECT_EQ(table.find("disables: \n"), std::string::npos);
}

TEST(DoctorTable, EndsWithMechanismsAndCounts) {
  std::string table = format_doctor_table(sample());
  EXPECT_NE(table.find("partitions nftables, packet faults nfqueue, pauses cgroup-freezer, clock skew libfaketime"),
            std::string::npos);
  EXPECT_NE(table.find("1 ok, 2 missing (probed in 123 ms)"), std::string::npos);
}

TEST(DoctorJson, CarriesEveryField) {
  nlohmann::ordered_json j = doctor_to_json(sample());
  EXPECT_EQ(j.begin().key(), "schema");
  EXPECT_EQ(j["schema"], 1);
  EXPECT_EQ(j["kernel"], "6.1.0-test");
  EXPECT_EQ(j["root"], true);
  EXPECT_EQ(j["elapsed_ms"], 123);
  EXPECT_EQ(j["summary"]["ok"], 1);
  EXPECT_EQ(j["summary"]["missing"], 2);
  EXPECT_EQ(j["mechanisms"]["packet_faults"], "nfqueue");
  ASSERT_EQ(j["capabilities"].size(), 3u);
  const auto& netem = j["capabilities"][1];
  EXPECT_EQ(netem["name"], "netem");
  EXPECT_EQ(netem["title"], "kernel netem");
  EXPECT_EQ(netem["ok"], false);
  EXPECT_EQ(netem["probed"], true);
  EXPECT_EQ(netem["reason"], "no sch_netem: qdisc kind unknown");
  EXPECT_EQ(netem["disables"], nlohmann::ordered_json::array({"kernel netem packet faults"}));
  EXPECT_EQ(netem["fallback"], "packet faults use the NFQUEUE userspace shaper");
  EXPECT_EQ(j["capabilities"][2]["probed"], false);
}

TEST(DoctorJson, RoundTrips) {
  DoctorReport original = sample();
  DoctorReport back = doctor_from_json(nlohmann::json::parse(doctor_to_json(original).dump()));
  EXPECT_EQ(back.kernel, original.kernel);
  EXPECT_EQ(back.root, original.root);
  EXPECT_EQ(back.elapsed, original.elapsed);
  EXPECT_EQ(back.mechanisms.pauses, "cgroup-freezer");
  ASSERT_EQ(back.capabilities.size(), original.capabilities.size());
  for (std::size_t i = 0; i < back.capabilities.size(); ++i) {
    EXPECT_EQ(back.capabilities[i].name, original.capabilities[i].name);
    EXPECT_EQ(back.capabilities[i].ok, original.capabilities[i].ok);
    EXPECT_EQ(back.capabilities[i].probed, original.capabilities[i].probed);
    EXPECT_EQ(back.capabilities[i].reason, original.capabilities[i].reason);
    EXPECT_EQ(back.capabilities[i].disables, original.capabilities[i].disables);
    EXPECT_EQ(back.capabilities[i].fallback, original.capabilities[i].fallback);
  }
  EXPECT_EQ(format_doctor_table(back), format_doctor_table(original));
}

TEST(DoctorJson, MalformedInputThrows) {
  EXPECT_THROW(doctor_from_json(nlohmann::json::parse(R"({"kernel": 1})")), nlohmann::json::exception);
}

TEST(DoctorGraphviz, ProbeRendersInProcess) {
  Capability c = probe_graphviz(std::chrono::milliseconds(5000));
  EXPECT_EQ(c.name, "graphviz");
  EXPECT_TRUE(c.ok) << c.reason;
  EXPECT_NE(c.reason.find("libgvc"), std::string::npos);
  EXPECT_TRUE(c.disables.empty());
}

}  // namespace
}  // namespace faultline::harness
