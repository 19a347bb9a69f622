// The VM lane: faultline-agent's netem faults proven on a real kernel.
//
// This project's machines run kernels without sch_netem, so the test boots a
// stock Debian cloud kernel (netem is a module there) under
// qemu-system-x86_64 with software emulation (-accel tcg: KVM is present on
// these machines but hangs at boot) and an initramfs made on the spot: static
// busybox, iproute2's ip, the built faultline-agent, their shared libraries,
// the kernel modules the layout needs, and nemesis/tests/netem_vm_init.sh as
// /init. Inside, three namespaces share a bridge; the agent shapes traffic
// from a to b, and ping measures b (targeted) against c (untargeted). The
// guest prints "FLT ..." result lines; this test parses and judges them.
//
// Skips only when qemu cannot run at all (and fails instead under
// FAULTLINE_REQUIRE_ROOT=1); anything else missing is a failure.
// Run alone: ctest -L vm --output-on-failure
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "packet/netem_distribution.h"
#include "faultline/testing/require_root.h"
#include "faultline/testing/test_dir.h"
#include "vm_support.h"
#include "faultline/testing/paths.h"

namespace faultline::nemesis {
using process::CommandResult;
using process::Status;
using process::find_program;
using process::run_command;
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using vmtest::Initramfs;
using vmtest::Kernel;
using vmtest::quote;

// Kernel modules the guest loads: the fault layout, plus the guest's network.
const std::vector<std::string> kModules = {"sch_prio", "sch_netem", "cls_u32", "sch_tbf", "veth", "bridge"};

// One "FLT <what> key=value key=\"value with spaces\"" line.
struct ResultLine {
  std::string what;
  std::map<std::string, std::string> fields;
  std::string raw;
  std::string operator[](const std::string& key) const {
    auto it = fields.find(key);
    return it == fields.end() ? "" : it->second;
  }
  double number(const std::string& key) const {
    std::string v = (*this)[key];
    return v.empty() ? -1 : std::stod(v);
  }
  // The median of the space-separated numbers in `key` (ping's per-reply
  // times), or -1 when there are none.
  double median(const std::string& key) const {
    std::istringstream in((*this)[key]);
    std::vector<double> v;
    for (double x; in >> x;) v.push_back(x);
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  }
};

std::vector<ResultLine> parse_results(const std::string& console) {
  std::vector<ResultLine> lines;
  std::size_t pos = 0;
  while ((pos = console.find("FLT ", pos)) != std::string::npos) {
    std::size_t end = console.find('\n', pos);
    std::string line = console.substr(pos + 4, end == std::string::npos ? std::string::npos : end - pos - 4);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    pos = end == std::string::npos ? console.size() : end;
    ResultLine r;
    r.raw = line;
    std::size_t i = line.find(' ');
    r.what = line.substr(0, i);
    while (i != std::string::npos && i < line.size()) {
      std::size_t start = line.find_first_not_of(' ', i);
      if (start == std::string::npos) break;
      std::size_t eq = line.find('=', start);
      if (eq == std::string::npos) break;
      std::string key = line.substr(start, eq - start);
      std::string value;
      if (eq + 1 < line.size() && line[eq + 1] == '"') {
        std::size_t close = line.find('"', eq + 2);
        value = line.substr(eq + 2, close == std::string::npos ? std::string::npos : close - eq - 2);
        i = close == std::string::npos ? std::string::npos : close + 1;
      } else {
        std::size_t space = line.find(' ', eq);
        value = line.substr(eq + 1, space == std::string::npos ? std::string::npos : space - eq - 1);
        i = space;
      }
      r.fields[key] = value;
    }
    lines.push_back(r);
  }
  return lines;
}

// The first line of kind `what` whose `key` is `value`.
const ResultLine* find(const std::vector<ResultLine>& lines, const std::string& what, const std::string& key,
                       const std::string& value) {
  for (const auto& l : lines) {
    if (l.what == what && l[key] == value) return &l;
  }
  return nullptr;
}

const ResultLine* first(const std::vector<ResultLine>& lines, const std::string& what) {
  for (const auto& l : lines) {
    if (l.what == what) return &l;
  }
  return nullptr;
}

const ResultLine* rtt(const std::vector<ResultLine>& lines, const std::string& phase, const std::string& peer) {
  for (const auto& l : lines) {
    if (l.what == "rtt" && l["phase"] == phase && l["peer"] == peer) return &l;
  }
  return nullptr;
}

// qemu present and able to start at all; else the reason.
std::string qemu_unusable() {
  auto qemu = find_program("qemu-system-x86_64");
  if (!qemu) return "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)";
  CommandResult r = run_command({*qemu, "--version"}, {.timeout = 10s});
  if (!r.succeeded()) return "qemu-system-x86_64 does not run: " + r.describe();
  return "";
}

// Stages the guest: busybox, ip, the agent, modules, a distribution table, /init.
Status build_initramfs(const Kernel& kernel, const std::string& dir, std::string* image, std::string* log) {
  Initramfs fs(dir + "/root");
  auto busybox = find_program("busybox");
  if (!busybox) return Status::failure("busybox is not installed (Debian: busybox-static)");
  std::vector<std::string> busybox_libs;
  if (Status st = vmtest::shared_libraries(*busybox, &busybox_libs); !st) return st;
  if (!busybox_libs.empty()) return Status::failure(*busybox + " is dynamically linked; install busybox-static");
  if (Status st = fs.add_file(*busybox, "/bin/busybox", std::filesystem::perms::owner_all); !st) return st;

  auto ip = find_program("ip");
  if (!ip) return Status::failure("iproute2's ip is not installed");
  if (Status st = fs.add_binary_with_libraries(*ip, "/opt/ip"); !st) return st;
  std::string agent = (faultline::testing::binary_dir() / "nemesis" / "faultline-agent").string();
  if (Status st = fs.add_binary_with_libraries(agent, "/opt/faultline-agent"); !st) return st;

  DistributionTable normal;
  if (Status st = load_distribution("normal", &normal); !st) return st;
  if (Status st = fs.add_file(normal.path, "/usr/lib/tc/normal.dist"); !st) return st;

  std::vector<std::string> modules;
  if (Status st = vmtest::resolve_modules(kernel, kModules, &modules); !st) return st;
  std::string order;
  for (const auto& rel : modules) {
    std::string src = kernel.modules_dir + "/" + rel;
    std::string name = rel.substr(rel.rfind('/') + 1);
    // Newer Debian kernels compress modules; busybox insmod wants them plain.
    for (const auto& [suffix, tool] : std::map<std::string, std::string>{{".ko.xz", "xz"}, {".ko.zst", "zstd"}}) {
      if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        name = name.substr(0, name.size() - suffix.size()) + ".ko";
        if (Status st = vmtest::sh(tool + " -dc " + quote(src) + " > " + quote(dir + "/" + name), 60s); !st) return st;
        src = dir + "/" + name;
      }
    }
    if (Status st = fs.add_file(src, "/modules/" + name); !st) return st;
    order += name + "\n";
  }
  if (Status st = fs.add_text("/modules/order", order); !st) return st;
  *log += "modules: " + order;

  std::string init_script = (faultline::testing::source_dir() / "nemesis" / "tests" / "netem_vm_init.sh").string();
  if (Status st = fs.add_file(init_script, "/init", std::filesystem::perms::owner_all); !st) return st;
  *image = dir + "/initramfs.cpio";
  return fs.pack(*image);
}

// Every agent step the guest ran succeeded, and both peers were fast before any fault.
void expect_agent_steps(const std::vector<ResultLine>& lines) {
  for (const char* step :
       {"delay", "loss", "duplicate", "corrupt", "reorder", "full", "rate", "clear", "clear-again"}) {
    const ResultLine* a = find(lines, "agent", "step", step);
    ASSERT_NE(a, nullptr) << "no agent step " << step;
    EXPECT_EQ((*a)["exit"], "0") << "agent step " << step << ": " << (*a)["out"];
  }

  // Baseline: both peers are fast.
  for (const char* peer : {"b", "c"}) {
    const ResultLine* r = rtt(lines, "before", peer);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ((*r)["rx"], "10") << r->raw;
    EXPECT_GE(r->median("times"), 0) << r->raw;
    EXPECT_LT(r->median("times"), 20) << r->raw;
  }
}

// Delay 100 ms to b only, in prio 1: with netem 40: under band 4.
void expect_delay_to_b_only(const std::vector<ResultLine>& lines) {
  const ResultLine* q = find(lines, "qdiscs", "phase", "delay");
  ASSERT_NE(q, nullptr);
  EXPECT_NE((*q)["list"].find("prio 1: root"), std::string::npos) << q->raw;
  EXPECT_NE((*q)["list"].find("netem 40: parent 1:4"), std::string::npos) << q->raw;
  const ResultLine* delayed = rtt(lines, "delay", "b");
  const ResultLine* untouched = rtt(lines, "delay", "c");
  ASSERT_NE(delayed, nullptr);
  ASSERT_NE(untouched, nullptr);
  EXPECT_EQ((*delayed)["rx"], "10") << delayed->raw;
  // Medians, not maxima: an emulated (TCG) guest on a busy host sees the odd
  // ping stalled by the host scheduler, but never one faster than the delay.
  EXPECT_GE(delayed->number("min"), 100) << delayed->raw;
  EXPECT_LT(delayed->median("times"), 150) << delayed->raw;
  EXPECT_EQ((*untouched)["rx"], "10") << untouched->raw;
  EXPECT_GE(untouched->median("times"), 0) << untouched->raw;
  EXPECT_LT(untouched->median("times"), 20) << untouched->raw;
}

// Loss, duplicate, corrupt and reorder to b; c untouched. `ratio_seen`: the loss ratio.
void expect_chance_faults(const std::vector<ResultLine>& lines, double* ratio_seen) {
  // Loss 50 % to b: the ratio seen over 200 pings is well inside 30..70 %
  // (binomial sd 3.5 %); c loses nothing.
  const ResultLine* lossy = rtt(lines, "loss", "b");
  const ResultLine* lossless = rtt(lines, "loss", "c");
  ASSERT_NE(lossy, nullptr);
  ASSERT_NE(lossless, nullptr);
  const double sent = lossy->number("tx");
  const double ratio = sent > 0 ? 1.0 - lossy->number("rx") / sent : -1;
  *ratio_seen = ratio;
  EXPECT_EQ(sent, 200) << lossy->raw;
  EXPECT_GE(ratio, 0.30) << lossy->raw;
  EXPECT_LE(ratio, 0.70) << lossy->raw;
  EXPECT_EQ((*lossless)["rx"], (*lossless)["tx"]) << lossless->raw;
  EXPECT_EQ((*lossless)["tx"], "100") << lossless->raw;

  // Duplicate 100 %: each request reaches b twice, so ping sees duplicate replies.
  const ResultLine* dup = rtt(lines, "duplicate", "b");
  ASSERT_NE(dup, nullptr);
  EXPECT_GE(dup->number("dups"), 5) << dup->raw;
  // Corrupt 100 %: a flipped bit in each request; nearly all are rejected.
  const ResultLine* bad = rtt(lines, "corrupt", "b");
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(bad->number("tx"), 20) << bad->raw;
  EXPECT_LE(bad->number("rx"), 6) << bad->raw;
  // Reorder 50 % over a 50 ms delay: replies come back out of sequence order.
  const ResultLine* shuffled = rtt(lines, "reorder", "b");
  ASSERT_NE(shuffled, nullptr);
  {
    std::istringstream in((*shuffled)["seqs"]);
    std::vector<int> seqs;
    for (int x; in >> x;) seqs.push_back(x);
    EXPECT_GE(seqs.size(), 30u) << shuffled->raw;
    EXPECT_FALSE(std::is_sorted(seqs.begin(), seqs.end())) << shuffled->raw;
  }
}

// Every fault at once, the rate limit to b, and the tree cleared (twice).
void expect_rate_and_clear(const std::vector<ResultLine>& lines) {
  // Every fault at once (Jepsen's defaults, normal jitter, 1 Mbit): accepted,
  // with the rate as a tbf under netem.
  const ResultLine* full = find(lines, "qdiscs", "phase", "full");
  ASSERT_NE(full, nullptr);
  EXPECT_NE((*full)["list"].find("netem 40: parent 1:4"), std::string::npos) << full->raw;
  EXPECT_NE((*full)["list"].find("tbf 41: parent 40:1"), std::string::npos) << full->raw;

  // 80 kbit/s to b: 1 kB pings queue (~100 ms each past the bucket); c is not slowed.
  const ResultLine* slow = rtt(lines, "rate", "b");
  const ResultLine* fast = rtt(lines, "rate", "c");
  ASSERT_NE(slow, nullptr);
  ASSERT_NE(fast, nullptr);
  EXPECT_GE(slow->number("max"), 500) << slow->raw;
  EXPECT_GE(fast->median("times"), 0) << fast->raw;
  EXPECT_LT(fast->median("times"), 20) << fast->raw;
  EXPECT_EQ((*fast)["rx"], "20") << fast->raw;

  // Cleared (twice): no prio or netem left, and b is as fast as before.
  const ResultLine* cleared = find(lines, "qdiscs", "phase", "cleared");
  ASSERT_NE(cleared, nullptr);
  EXPECT_EQ((*cleared)["list"].find("prio"), std::string::npos) << cleared->raw;
  EXPECT_EQ((*cleared)["list"].find("netem"), std::string::npos) << cleared->raw;
  for (const char* peer : {"b", "c"}) {
    const ResultLine* r = rtt(lines, "after", peer);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ((*r)["rx"], "10") << r->raw;
    EXPECT_GE(r->median("times"), 0) << r->raw;
    EXPECT_LT(r->median("times"), 20) << r->raw;
  }
}

// The clock fault over ssh on a real kernel.
void expect_clock_step(const std::vector<ResultLine>& lines) {
  // clock-step (the clock fault over ssh) on a real kernel: refused for the
  // kernel's own boot_id (clock untouched), +60 s and back otherwise.
  const ResultLine* refuse = find(lines, "agent", "step", "clock-refuse");
  ASSERT_NE(refuse, nullptr);
  EXPECT_EQ((*refuse)["exit"], "1") << refuse->raw;
  EXPECT_NE((*refuse)["out"].find("refusing"), std::string::npos) << refuse->raw;
  for (const char* step : {"clock-forward", "clock-back"}) {
    const ResultLine* a = find(lines, "agent", "step", step);
    ASSERT_NE(a, nullptr) << step;
    EXPECT_EQ((*a)["exit"], "0") << a->raw;
  }
  const ResultLine* clock = first(lines, "clock");
  ASSERT_NE(clock, nullptr);
  EXPECT_LT(clock->number("after_refuse") - clock->number("before"), 5) << clock->raw;
  EXPECT_GE(clock->number("after_forward") - clock->number("after_refuse"), 59) << clock->raw;
  EXPECT_LT(clock->number("after_forward") - clock->number("after_refuse"), 66) << clock->raw;
  EXPECT_LT(clock->number("after_back") - clock->number("after_refuse"), 6) << clock->raw;
  EXPECT_GE(clock->number("after_back"), clock->number("after_refuse")) << clock->raw;
}

TEST(NetemVm, PerDestinationFaultsOnARealKernel) {
  const auto test_start = Clock::now();
  if (std::string why = qemu_unusable(); !why.empty()) FAULTLINE_SKIP_OR_FAIL(why);

  std::string log;
  Kernel kernel;
  Status st = vmtest::fetch_kernel(&kernel, &log);
  ASSERT_TRUE(st.ok) << "preparing the kernel: " << st.error << "\n" << log;
  std::printf("[vm] kernel %s %s (%s)\n[vm] %s", kernel.package.c_str(), kernel.version.c_str(),
              kernel.release.c_str(), log.c_str());
  log.clear();

  node::testing::TestDir dir("netem-vm");
  std::string image;
  st = build_initramfs(kernel, dir.str(), &image, &log);
  ASSERT_TRUE(st.ok) << "building the initramfs: " << st.error << "\n" << log;

  const auto boot_start = Clock::now();
  CommandResult vm = run_command({"qemu-system-x86_64", "-accel", "tcg", "-m", "512M", "-smp", "1", "-nographic",
                                  "-no-reboot", "-kernel", kernel.vmlinuz, "-initrd", image, "-append",
                                  "console=ttyS0 panic=-1 quiet"},
                                 {.timeout = 300s, .max_output = 4 << 20});
  const double vm_seconds = std::chrono::duration<double>(Clock::now() - boot_start).count();
  ASSERT_TRUE(vm.started) << vm.describe();
  ASSERT_FALSE(vm.timed_out) << "the VM did not power off within 300 s; console:\n" << vm.output;

  std::vector<ResultLine> lines = parse_results(vm.output);
  for (const auto& l : lines) std::printf("[vm] FLT %s\n", l.raw.c_str());
  for (const auto& l : lines) EXPECT_NE(l.what, "error") << l.raw << "\nconsole:\n" << vm.output;
  const ResultLine* boot = find(lines, "boot", "kernel", kernel.release);
  ASSERT_NE(boot, nullptr) << "the guest's /init never reported; console:\n" << vm.output;
  ASSERT_NE(first(lines, "done"), nullptr) << "the guest stopped early; console:\n" << vm.output;

  expect_agent_steps(lines);
  expect_delay_to_b_only(lines);
  double ratio = -1;
  expect_chance_faults(lines, &ratio);
  expect_rate_and_clear(lines);
  expect_clock_step(lines);
  if (HasFatalFailure()) return;  // a helper found a result line missing

  const double test_seconds = std::chrono::duration<double>(Clock::now() - test_start).count();
  std::printf("[vm] figures (RTTs are medians of the replies): guest_boot_s=%s guest_done_s=%s vm_wall_s=%.1f "
              "test_wall_s=%.1f rtt_before_b_ms=%.3f rtt_delay_b_ms=%.3f rtt_delay_c_ms=%.3f rtt_after_b_ms=%.3f "
              "loss_ratio=%.3f rate_max_b_ms=%.1f\n",
              (*boot)["uptime"].c_str(), (*first(lines, "done"))["uptime"].c_str(), vm_seconds, test_seconds,
              rtt(lines, "before", "b")->median("times"), rtt(lines, "delay", "b")->median("times"),
              rtt(lines, "delay", "c")->median("times"), rtt(lines, "after", "b")->median("times"), ratio,
              rtt(lines, "rate", "b")->number("max"));
  RecordProperty("vm_wall_s", std::to_string(vm_seconds));
  RecordProperty("loss_ratio", std::to_string(ratio));
}

}  // namespace
}  // namespace faultline::nemesis
