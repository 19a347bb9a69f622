// shaper_bench: what the NFQUEUE shaper costs with no fault configured
// (delay 0), between two namespaces A — B joined by a veth pair (root).
//
//   latency:    median / p99 UDP echo RTT over sequential probes, without
//               and with `faultline-agent shape --dst B` running in A;
//   throughput: a saturating UDP sender in A for a fixed time; the shaper's
//               verdicts per second (packets it saw / send time) and what B
//               received. Past the shaper's capacity the queue is fail-open,
//               so the excess reaches B unshaped: "shaped" says how much did
//               go through the shaper.
//
//   cpu:        the shaper process's own CPU time (user + system, from
//               /proc/<pid>/stat) per packet it handled — the figure least
//               disturbed by other load on the machine.
//
// Each figure is the median over --runs runs (default 5).
//   shaper_bench [--runs N] [--seconds S] [--size BYTES] [--agent PATH]
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "faultline/testing/netns_lab.h"
#include "faultline/testing/paths.h"

using faultline::testing::lab_now_ms;
using faultline::testing::LabChild;
using faultline::testing::LabProcess;
using faultline::testing::NetnsLab;

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

long stat_of(const std::string& line, const std::string& key) {
  std::istringstream in(line);
  for (std::string word; in >> word;) {
    if (word.rfind(key + "=", 0) == 0) return std::stol(word.substr(key.size() + 1));
  }
  return -1;
}

// Packets received on B's interfaces (from B's /proc/self/net/dev).
long rx_packets(const NetnsLab& lab) {
  auto out = lab.in_ns("b", [] {
    std::ifstream dev("/proc/self/net/dev");
    std::string line;
    long total = 0;
    while (std::getline(dev, line)) {
      auto colon = line.find(':');
      if (colon == std::string::npos || line.find("lo:") != std::string::npos) continue;
      std::istringstream fields(line.substr(colon + 1));
      long bytes = 0, packets = 0;
      fields >> bytes >> packets;
      total += packets;
    }
    return std::to_string(total);
  });
  return out ? std::stol(*out) : -1;
}

// Sends `size`-byte datagrams to B's echo port as fast as possible for
// `seconds`; returns how many were sent.
long flood(const NetnsLab& lab, const std::string& dst, double seconds, std::size_t size) {
  auto out = lab.in_ns(
      "a",
      [&] {
        int s = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(faultline::testing::kLabEchoPort + 1);  // nobody listens: B only counts
        ::inet_pton(AF_INET, dst.c_str(), &a.sin_addr);
        ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
        std::string payload(size, 'f');
        long sent = 0;
        double end = lab_now_ms() + seconds * 1000;
        while (lab_now_ms() < end) {
          for (int i = 0; i < 64; ++i) sent += ::send(s, payload.data(), payload.size(), 0) > 0;
        }
        return std::to_string(sent);
      },
      seconds * 1000 + 10000);
  return out ? std::stol(*out) : -1;
}

// User + system CPU seconds of process `pid` so far.
double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct Run {
  double rtt_median_ms = -1, rtt_p99_ms = -1;
  double sent_pps = -1, delivered_pps = -1, shaper_pps = -1;
  long overruns = -1;
  double cpu_us_per_packet = -1;
};

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  double seconds = 2;
  std::size_t size = 64;
  std::string agent = (faultline::testing::binary_dir() / "nemesis" / "faultline-agent").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--runs") runs = std::atoi(argv[i + 1]);
    else if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (flag == "--size") size = static_cast<std::size_t>(std::atol(argv[i + 1]));
    else if (flag == "--agent") agent = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: shaper_bench [--runs N] [--seconds S] [--size BYTES] [--agent PATH]\n");
      return 2;
    }
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "shaper_bench: needs root (network namespaces, NFQUEUE)\n");
    return 1;
  }

  NetnsLab lab("shb");
  for (const char* n : {"a", "b"}) {
    if (std::string err = lab.add_namespace(n); !err.empty()) {
      std::fprintf(stderr, "shaper_bench: %s\n", err.c_str());
      return 1;
    }
  }
  if (std::string err = lab.link("a", "b", 1); !err.empty()) {
    std::fprintf(stderr, "shaper_bench: %s\n", err.c_str());
    return 1;
  }
  const std::string b = lab.address("b", 1);
  LabChild echo = lab.udp_echo("b");
  if (!lab.wait_echo("a", b)) {
    std::fprintf(stderr, "shaper_bench: no echo from B\n");
    return 1;
  }

  std::vector<Run> base, shaped;
  for (int r = 0; r < runs; ++r) {
    for (bool with_shaper : {false, true}) {
      Run run;
      std::unique_ptr<LabProcess> shaper;
      if (with_shaper) {
        shaper = std::make_unique<LabProcess>(lab.ns("a"), std::vector<std::string>{agent, "shape", "--queue", "9",
                                                                                      "--dst", b});
        if (!shaper->read_line(5000)) {
          std::fprintf(stderr, "shaper_bench: the shaper did not start: %s\n", shaper->stderr_text().c_str());
          return 1;
        }
      }
      std::vector<double> rtts = lab.probe_rtts("a", b, 300, 1000, size);
      rtts.erase(std::remove(rtts.begin(), rtts.end(), -1.0), rtts.end());
      run.rtt_median_ms = median(rtts);
      run.rtt_p99_ms = percentile(rtts, 0.99);
      long rx_before = rx_packets(lab);
      long sent = flood(lab, b, seconds, size);
      ::usleep(200 * 1000);
      long rx_after = rx_packets(lab);
      run.sent_pps = static_cast<double>(sent) / seconds;
      run.delivered_pps = static_cast<double>(rx_after - rx_before) / seconds;
      if (with_shaper) {
        double cpu = cpu_seconds(shaper->pid());
        shaper->signal(SIGTERM);
        std::optional<std::string> stats = shaper->read_line(5000);
        shaper->wait(5000);
        // seen includes the 300 latency probes (and their warm-up): minor.
        run.shaper_pps = static_cast<double>(stat_of(stats.value_or(""), "seen") - 300) / seconds;
        run.overruns = stat_of(stats.value_or(""), "overruns");
        long seen = stat_of(stats.value_or(""), "seen");
        if (seen > 0 && cpu >= 0) run.cpu_us_per_packet = cpu * 1e6 / static_cast<double>(seen);
      }
      (with_shaper ? shaped : base).push_back(run);
    }
  }

  auto med = [](const std::vector<Run>& v, double Run::*field) {
    std::vector<double> xs;
    for (const Run& r : v) xs.push_back(r.*field);
    return median(xs);
  };
  std::printf("shaper_bench: %d runs, %zu-byte UDP datagrams, %.1f s floods, A -> B over veth\n", runs, size, seconds);
  std::printf("latency   no shaper:   RTT median %.3f ms  p99 %.3f ms\n", med(base, &Run::rtt_median_ms),
              med(base, &Run::rtt_p99_ms));
  std::printf("latency   shaper 0 ms: RTT median %.3f ms  p99 %.3f ms  (added median %.3f ms)\n",
              med(shaped, &Run::rtt_median_ms), med(shaped, &Run::rtt_p99_ms),
              med(shaped, &Run::rtt_median_ms) - med(base, &Run::rtt_median_ms));
  std::printf("flood     no shaper:   sent %.0f pkt/s, B received %.0f pkt/s\n", med(base, &Run::sent_pps),
              med(base, &Run::delivered_pps));
  double shaper_pps = med(shaped, &Run::shaper_pps);
  double delivered = med(shaped, &Run::delivered_pps);
  std::printf("flood     shaper 0 ms: sent %.0f pkt/s, B received %.0f pkt/s, through the shaper %.0f pkt/s "
              "(%.0f%% shaped, rest fail-open)\n",
              med(shaped, &Run::sent_pps), delivered, shaper_pps, delivered > 0 ? 100.0 * shaper_pps / delivered : 0.0);
  std::printf("cpu       shaper 0 ms: %.2f us of shaper CPU per packet (user + system)\n",
              med(shaped, &Run::cpu_us_per_packet));
  std::printf("per-run shaper pkt/s:");
  for (const Run& r : shaped) std::printf(" %.0f", r.shaper_pps);
  std::printf("\n");
  return 0;
}
