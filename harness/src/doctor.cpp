#include "faultline/process/command.h"
#include "faultline/harness/doctor.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "faultline/process/forked.h"
#include "faultline/reports/graphviz.h"

namespace faultline::harness {
namespace {

using Clock = std::chrono::steady_clock;
using nemesis::Capability;

constexpr const char* kGraphviz = "graphviz";

std::string kernel_release() {
  utsname u{};
  return ::uname(&u) == 0 ? std::string(u.release) : std::string("unknown");
}

void describe_graphviz_loss(Capability& c) {
  if (c.ok) return;
  c.disables = {"Graphviz diagrams in reports (rings, partitions, anomaly graphs)"};
  c.fallback = "reports are written without diagrams";
}

std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

}  // namespace

int DoctorReport::ok_count() const {
  return static_cast<int>(std::count_if(capabilities.begin(), capabilities.end(), [](auto& c) { return c.ok; }));
}

int DoctorReport::missing_count() const { return static_cast<int>(capabilities.size()) - ok_count(); }

Capability probe_graphviz(std::chrono::milliseconds timeout) {
  auto outcome = process::run_forked(
      [] {
        std::string svg = reports::render_dot_to_svg("digraph doctor { controller -> store; }");
        if (svg.find("<svg") == std::string::npos) return process::ChildOutcome{false, "libgvc returned no SVG", false};
        return process::ChildOutcome{true,
                                     "rendered a 2-node graph to SVG in process with libgvc " +
                                         reports::graphviz_version() + " (" + std::to_string(svg.size()) + " bytes)",
                                     false};
      },
      {.new_netns = false, .timeout = timeout});
  Capability c;
  c.name = kGraphviz;
  c.title = "Graphviz (libgvc)";
  c.ok = outcome.ok;
  c.reason = outcome.timed_out ? "rendering " + outcome.message : outcome.message;
  describe_graphviz_loss(c);
  return c;
}

// The ssh backend drives the OpenSSH client; whether it runs here (the
// hosts' sshd is theirs to have).
Capability probe_ssh_client(std::chrono::milliseconds timeout) {
  Capability c;
  c.name = "ssh-client";
  c.title = "OpenSSH client (ssh backend)";
  auto r = process::run_command({"ssh", "-V"}, {.timeout = timeout});
  c.ok = r.succeeded();
  c.reason = c.ok ? "ssh -V: " + process::first_line(r.output) : "ssh -V: " + r.describe();
  if (!c.ok) {
    c.disables = {"--backend ssh (nodes on other hosts)"};
    c.fallback = "--backend netns or local on this machine";
  }
  return c;
}

DoctorReport run_doctor(const DoctorOptions& options) {
  const auto start = Clock::now();
  DoctorReport report;
  report.kernel = kernel_release();
  report.root = ::geteuid() == 0;
  report.capabilities = nemesis::probe_capabilities({.timeout = options.probe_timeout, .privileged = options.privileged});
  report.capabilities.push_back(probe_graphviz(options.probe_timeout));
  report.capabilities.push_back(probe_ssh_client(options.probe_timeout));
  report.mechanisms = nemesis::mechanisms(report.capabilities);
  report.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return report;
}

std::string format_doctor_table(const DoctorReport& report) {
  std::size_t title_width = std::string("CAPABILITY").size();
  for (const Capability& c : report.capabilities) title_width = std::max(title_width, c.title.size());
  const std::size_t status_width = std::string("missing").size();
  const std::string indent(title_width + 2 + status_width + 2, ' ');

  std::ostringstream out;
  out << "faultline doctor: what this machine can do (kernel " << report.kernel << ", "
      << (report.root ? "running as root" : "not root") << ")\n\n";
  out << pad("CAPABILITY", title_width) << "  " << pad("STATUS", status_width) << "  REASON\n";
  for (const Capability& c : report.capabilities) {
    out << pad(c.title, title_width) << "  " << pad(c.ok ? "ok" : "missing", status_width) << "  " << c.reason
        << "\n";
    if (c.ok) continue;
    if (!c.disables.empty()) {
      out << indent << "disables: ";
      for (std::size_t i = 0; i < c.disables.size(); ++i) out << (i > 0 ? "; " : "") << c.disables[i];
      out << "\n";
    }
    if (!c.fallback.empty()) out << indent << "instead:  " << c.fallback << "\n";
  }
  const auto& m = report.mechanisms;
  out << "\nmechanisms on this host: partitions " << m.partitions << ", packet faults " << m.packet_faults
      << ", pauses " << m.pauses << ", clock skew " << m.clock_skew << "\n";
  out << report.ok_count() << " ok, " << report.missing_count() << " missing (probed in " << report.elapsed.count()
      << " ms). `faultline doctor --json` prints the same as JSON.\n";
  return out.str();
}

nlohmann::ordered_json doctor_to_json(const DoctorReport& report) {
  nlohmann::ordered_json caps = nlohmann::ordered_json::array();
  for (const Capability& c : report.capabilities) {
    caps.push_back({{"name", c.name},
                    {"title", c.title},
                    {"ok", c.ok},
                    {"probed", c.probed},
                    {"reason", c.reason},
                    {"disables", c.disables},
                    {"fallback", c.fallback}});
  }
  return nlohmann::ordered_json{{"schema", 1},
          {"kernel", report.kernel},
          {"root", report.root},
          {"elapsed_ms", report.elapsed.count()},
          {"summary", {{"ok", report.ok_count()}, {"missing", report.missing_count()}}},
          {"mechanisms",
           {{"partitions", report.mechanisms.partitions},
            {"packet_faults", report.mechanisms.packet_faults},
            {"pauses", report.mechanisms.pauses},
            {"clock_skew", report.mechanisms.clock_skew}}},
          {"capabilities", caps}};
}

DoctorReport doctor_from_json(const nlohmann::json& json) {
  DoctorReport report;
  report.kernel = json.at("kernel").get<std::string>();
  report.root = json.at("root").get<bool>();
  report.elapsed = std::chrono::milliseconds(json.at("elapsed_ms").get<long long>());
  const auto& m = json.at("mechanisms");
  report.mechanisms = {m.at("partitions").get<std::string>(), m.at("packet_faults").get<std::string>(),
                       m.at("pauses").get<std::string>(), m.at("clock_skew").get<std::string>()};
  for (const auto& j : json.at("capabilities")) {
    Capability c;
    c.name = j.at("name").get<std::string>();
    c.title = j.at("title").get<std::string>();
    c.ok = j.at("ok").get<bool>();
    c.probed = j.value("probed", true);
    c.reason = j.at("reason").get<std::string>();
    c.disables = j.value("disables", std::vector<std::string>{});
    c.fallback = j.value("fallback", std::string{});
    report.capabilities.push_back(std::move(c));
  }
  return report;
}

}  // namespace faultline::harness
