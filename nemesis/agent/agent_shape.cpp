// `faultline-agent shape`: the NFQUEUE packet shaper as a long-running
// process in a node's namespace. Prints one ready line once its rules are in
// place (the controller waits for it), shapes until SIGTERM/SIGINT or
// --duration-s, then removes its rules, prints a stats line and exits 0.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "agent_commands.h"
#include "packet/shaper.h"

namespace faultline::nemesis::agent {
using process::Status;
namespace {

volatile sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }

struct ShapeFlags {
  int queue = -1;
  std::vector<std::string> dst;
  double delay_ms = 0, jitter_ms = 0;
  std::string distribution = "uniform";
  std::string loss = "0", loss_corr = "0", reorder = "0", reorder_corr = "0", corrupt = "0", corrupt_corr = "0",
              duplicate = "0", duplicate_corr = "0";
  std::uint64_t rate_kbit = 0;
  std::size_t limit = 1000;
  std::uint32_t queue_max = 8192;
  double duration_s = 0;
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::string rules = "auto";
};

ShapeFlags& flags() {
  static ShapeFlags f;
  return f;
}

// "0.2" or "20%" → 0.2; NaN when neither.
double parse_fraction(const std::string& text) {
  try {
    std::size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size()) return v;
    if (used + 1 == text.size() && text.back() == '%') return v / 100.0;
  } catch (const std::exception&) {
  }
  return std::nan("");
}

int usage_error(const std::string& why) {
  std::fprintf(stderr, "faultline-agent shape: %s\n", why.c_str());
  return 2;
}

std::chrono::microseconds from_ms(double ms) {
  return std::chrono::microseconds(static_cast<std::int64_t>(std::llround(ms * 1000.0)));
}

int run_shape() {
  const ShapeFlags& f = flags();
  ShaperOptions options;
  if (f.queue < 0 || f.queue > 65535) return usage_error("--queue must be within 0..65535");
  options.queue = static_cast<std::uint16_t>(f.queue);
  options.destinations = f.dst;
  if (!(f.delay_ms >= 0 && f.delay_ms <= 60000)) return usage_error("--delay-ms must be within 0..60000");
  if (!(f.jitter_ms >= 0 && f.jitter_ms <= 60000)) return usage_error("--jitter-ms must be within 0..60000");
  if (!(f.duration_s >= 0)) return usage_error("--duration-s must be >= 0");
  ShapeParams& p = options.params;
  p.delay = from_ms(f.delay_ms);
  p.jitter = from_ms(f.jitter_ms);
  if (f.distribution == "uniform") {
    p.distribution = JitterDistribution::uniform;
  } else if (f.distribution == "normal") {
    p.distribution = JitterDistribution::normal;
  } else {
    return usage_error("--distribution must be uniform or normal, got '" + f.distribution + "'");
  }
  struct Fraction {
    const char* flag;
    const std::string& text;
    double* into;
  };
  for (const Fraction& fr : {Fraction{"--loss", f.loss, &p.loss}, Fraction{"--loss-corr", f.loss_corr, &p.loss_correlation},
                             Fraction{"--reorder", f.reorder, &p.reorder},
                             Fraction{"--reorder-corr", f.reorder_corr, &p.reorder_correlation},
                             Fraction{"--corrupt", f.corrupt, &p.corrupt},
                             Fraction{"--corrupt-corr", f.corrupt_corr, &p.corrupt_correlation},
                             Fraction{"--duplicate", f.duplicate, &p.duplicate},
                             Fraction{"--duplicate-corr", f.duplicate_corr, &p.duplicate_correlation}}) {
    *fr.into = parse_fraction(fr.text);
    if (std::isnan(*fr.into)) {
      return usage_error(std::string(fr.flag) + ": '" + fr.text + "' is not a probability (0..1 or 0%..100%)");
    }
  }
  if (f.queue_max == 0) return usage_error("--queue-max must be at least 1");
  options.kernel_queue_max = f.queue_max;
  p.rate_kbit = f.rate_kbit;
  p.limit = f.limit;
  if (Status st = validate_shape_params(p); !st) return usage_error(st.error);
  if (f.rules == "auto") {
    options.rules = ShapeRules::automatic;
  } else if (f.rules == "nft") {
    options.rules = ShapeRules::nft;
  } else if (f.rules == "iptables") {
    options.rules = ShapeRules::iptables;
  } else {
    return usage_error("--rules must be auto, nft or iptables, got '" + f.rules + "'");
  }
  options.seed = f.seed_given ? f.seed : std::random_device{}();

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed stdout must not kill us before cleanup

  Shaper shaper;
  if (Status st = shaper.start(options); !st) {
    std::fprintf(stderr, "faultline-agent shape: %s\n", st.error.c_str());
    return st.error.rfind("--", 0) == 0 ? 2 : 1;
  }
  std::string dsts;
  for (const auto& d : options.destinations) dsts += (dsts.empty() ? "" : ",") + d;
  std::printf("shaping queue=%d dst=%s mechanism=nfqueue rules=%s\n", f.queue, dsts.c_str(),
              std::string(shape_rules_name(shaper.rules_used())).c_str());
  std::fflush(stdout);

  auto deadline = f.duration_s > 0 ? ShapeClock::now() + std::chrono::duration_cast<ShapeClock::duration>(
                                                              std::chrono::duration<double>(f.duration_s))
                                   : ShapeClock::time_point::max();
  Status ran = shaper.run([] { return g_stop != 0; }, deadline);
  Status stopped = shaper.stop();
  std::printf("stopped queue=%d %s\n", f.queue, shaper.stats().describe().c_str());
  std::fflush(stdout);
  if (!ran) {
    std::fprintf(stderr, "faultline-agent shape: shaping failed: %s\n", ran.error.c_str());
    return 1;
  }
  if (!stopped) {
    std::fprintf(stderr, "faultline-agent shape: could not remove the rules: %s\n", stopped.error.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

Command shape_command() {
  Command c;
  c.name = "shape";
  c.register_flags = [](CLI::App& app) {
    ShapeFlags& f = flags();
    CLI::App* sub = app.add_subcommand(
        "shape", "shape packets to --dst through NFQUEUE (kernels without sch_netem) until SIGTERM or --duration-s");
    sub->add_option("--queue", f.queue, "NFQUEUE queue number (0..65535), one per shaper")->required();
    sub->add_option("--dst", f.dst, "destination IPv4 addresses to shape")->required()->delimiter(',');
    sub->add_option("--delay-ms", f.delay_ms, "added one-way delay");
    sub->add_option("--jitter-ms", f.jitter_ms, "delay jitter (uniform: +/-; normal: standard deviation)");
    sub->add_option("--distribution", f.distribution, "jitter distribution: uniform or normal");
    sub->add_option("--loss", f.loss, "drop probability (0..1 or N%)");
    sub->add_option("--loss-corr", f.loss_corr, "loss correlation with the previous decision");
    sub->add_option("--reorder", f.reorder, "fraction released at once, overtaking the delayed (needs --delay-ms)");
    sub->add_option("--reorder-corr", f.reorder_corr, "reorder correlation");
    sub->add_option("--corrupt", f.corrupt, "fraction with one bit flipped after the IP header");
    sub->add_option("--corrupt-corr", f.corrupt_corr, "corrupt correlation");
    sub->add_option("--duplicate", f.duplicate, "fraction sent twice (a marked copy through a raw socket)");
    sub->add_option("--duplicate-corr", f.duplicate_corr, "duplicate correlation");
    sub->add_option("--rate-kbit", f.rate_kbit, "bandwidth limit in kbit/s (0 = none)");
    sub->add_option("--limit", f.limit, "packets held at once before tail drop (netem's limit)");
    sub->add_option("--queue-max", f.queue_max,
                    "packets the kernel queues for us before accepting the rest unshaped (fail-open)");
    sub->add_option("--duration-s", f.duration_s, "stop by itself after this long (0 = until SIGTERM)");
    sub->add_option("--seed", f.seed, "random seed (default: random)")->each([&f](const std::string&) { f.seed_given = true; });
    sub->add_option("--rules", f.rules, "rule tool: auto (nft, else iptables), nft or iptables");
    return sub;
  };
  c.run = run_shape;
  return c;
}

}  // namespace faultline::nemesis::agent
