// `faultline-agent netem`, `netem-clear` and `qdiscs`: per-destination packet
// faults on one device of the namespace the agent runs in (netem_fault.h).
//
// A fault flag given without a value takes Jepsen's default (--delay-ms: 50
// ms ± 10 ms; --loss, --duplicate, --reorder, --corrupt: 20 % with 75 %
// correlation; --rate-kbit: 1000). Once any value of a fault is given, its
// other values are exactly what is given (0 when not): `--loss 50` is 50 %
// uncorrelated, `--delay-ms 100` is 100 ms without jitter.
//
// Exit codes: 0 applied (one line on stdout); 2 bad flags or values; 1 the
// kernel refused for another reason; 3 the kernel lacks a qdisc or
// classifier the layout needs, so the controller can fall back to the
// NFQUEUE shaper.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent_commands.h"
#include "packet/netem_fault.h"

namespace faultline::nemesis::agent {
using process::Status;
namespace {

constexpr int kExitApplied = kAgentExitOk;
constexpr int kExitFailed = kAgentExitFailed;
constexpr int kExitBadFlags = kAgentExitBadFlags;
constexpr int kExitUnsupported = kAgentExitUnsupported;

// A flag whose value may be left out: `--loss` or `--loss 30`.
struct OptionalValue {
  CLI::Option* option = nullptr;
  std::string text;
  bool given() const { return option != nullptr && option->count() > 0; }
  bool has_value() const { return given() && !text.empty(); }
};

struct NetemFlags {
  std::string dev;
  std::vector<std::string> dst;
  OptionalValue delay_ms, jitter_ms, delay_corr, distribution;
  OptionalValue loss, loss_corr, duplicate, duplicate_corr, reorder, reorder_corr, corrupt, corrupt_corr;
  OptionalValue rate_kbit;
  bool dry_run = false;
};

// Thrown for a bad value; becomes exit 2 with its message.
struct BadFlag {
  std::string why;
};

double number(const OptionalValue& v, const char* flag) {
  char* end = nullptr;
  double d = std::strtod(v.text.c_str(), &end);
  if (v.text.empty() || end == v.text.c_str() || *end != '\0' || !std::isfinite(d)) {
    throw BadFlag{std::string(flag) + ": '" + v.text + "' is not a number"};
  }
  return d;
}

void add_value(CLI::App* sub, OptionalValue& v, const std::string& flag, const std::string& help) {
  v.option = sub->add_option(flag, v.text, help)->expected(0, 1);
}

void add_required_value(CLI::App* sub, OptionalValue& v, const std::string& flag, const std::string& help) {
  v.option = sub->add_option(flag, v.text, help);
}

// A modifier (--loss-corr) needs its fault (--loss).
void needs(const OptionalValue& modifier, const char* modifier_flag, const OptionalValue& fault,
           const char* fault_flag) {
  if (modifier.given() && !fault.given()) throw BadFlag{std::string(modifier_flag) + " needs " + fault_flag};
}

std::optional<ChanceFault> chance(const OptionalValue& main, const char* main_flag, const OptionalValue& corr,
                                  const char* corr_flag) {
  needs(corr, corr_flag, main, main_flag);
  if (!main.given()) return std::nullopt;
  if (!main.has_value() && !corr.given()) return ChanceFault::jepsen();
  ChanceFault c;
  c.percent = main.has_value() ? number(main, main_flag) : ChanceFault::jepsen().percent;
  c.correlation = corr.given() ? number(corr, corr_flag) : 0;
  return c;
}

NetemFault fault_from(const NetemFlags& f) {
  NetemFault fault;
  fault.destinations = f.dst;
  needs(f.jitter_ms, "--jitter-ms", f.delay_ms, "--delay-ms");
  needs(f.delay_corr, "--delay-corr", f.delay_ms, "--delay-ms");
  needs(f.distribution, "--distribution", f.delay_ms, "--delay-ms");
  if (f.delay_ms.given()) {
    bool modifiers = f.jitter_ms.given() || f.delay_corr.given() || f.distribution.given();
    if (!f.delay_ms.has_value() && !modifiers) {
      fault.delay = DelayFault::jepsen();
    } else {
      DelayFault d;
      d.ms = f.delay_ms.has_value() ? number(f.delay_ms, "--delay-ms") : DelayFault::jepsen().ms;
      if (f.jitter_ms.given()) d.jitter_ms = number(f.jitter_ms, "--jitter-ms");
      if (f.delay_corr.given()) d.correlation = number(f.delay_corr, "--delay-corr");
      d.distribution = f.distribution.text;
      fault.delay = d;
    }
  }
  fault.loss = chance(f.loss, "--loss", f.loss_corr, "--loss-corr");
  fault.duplicate = chance(f.duplicate, "--duplicate", f.duplicate_corr, "--duplicate-corr");
  fault.reorder = chance(f.reorder, "--reorder", f.reorder_corr, "--reorder-corr");
  fault.corrupt = chance(f.corrupt, "--corrupt", f.corrupt_corr, "--corrupt-corr");
  if (f.rate_kbit.given()) {
    if (!f.rate_kbit.has_value()) {
      fault.rate_kbit = kJepsenRateKbit;
    } else {
      double r = number(f.rate_kbit, "--rate-kbit");
      if (r < 1 || r > 4e9 || r != std::floor(r)) {
        throw BadFlag{"--rate-kbit: '" + f.rate_kbit.text + "' is not a whole number of kbit/s >= 1"};
      }
      fault.rate_kbit = static_cast<std::uint32_t>(r);
    }
  }
  return fault;
}

int fail(const char* command, const std::string& why, int code) {
  std::fprintf(stderr, "faultline-agent %s: %s\n", command, why.c_str());
  return code;
}

}  // namespace

Command netem_command() {
  auto flags = std::make_shared<NetemFlags>();
  Command c;
  c.name = "netem";
  c.register_flags = [flags](CLI::App& app) {
    CLI::App* sub = app.add_subcommand(
        "netem", "delay, lose, duplicate, reorder, corrupt or rate-limit packets sent from DEV to the given "
                 "IPv4 destinations (replaces any fault on DEV); a flag without a value takes Jepsen's default");
    sub->add_option("--dev", flags->dev, "device in this namespace, e.g. eth0")->required();
    sub->add_option("--dst", flags->dst, "targeted IPv4 destination(s), comma-separated")
        ->required()
        ->delimiter(',');
    add_value(sub, flags->delay_ms, "--delay-ms", "delay in ms (alone: 50 ms ± 10 ms)");
    add_required_value(sub, flags->jitter_ms, "--jitter-ms", "delay jitter in ms (needs --delay-ms)");
    add_required_value(sub, flags->delay_corr, "--delay-corr", "delay correlation in % (needs a jitter)");
    add_required_value(sub, flags->distribution, "--distribution",
                       "jitter distribution: normal, pareto, paretonormal, experimental or a .dist path");
    add_value(sub, flags->loss, "--loss", "loss in % (alone: 20 % with 75 % correlation)");
    add_required_value(sub, flags->loss_corr, "--loss-corr", "loss correlation in %");
    add_value(sub, flags->duplicate, "--duplicate", "duplication in % (alone: 20 % with 75 % correlation)");
    add_required_value(sub, flags->duplicate_corr, "--duplicate-corr", "duplication correlation in %");
    add_value(sub, flags->reorder, "--reorder", "reordering in %, needs --delay-ms (alone: 20 %, 75 % correlation)");
    add_required_value(sub, flags->reorder_corr, "--reorder-corr", "reordering correlation in %");
    add_value(sub, flags->corrupt, "--corrupt", "corruption in % (alone: 20 % with 75 % correlation)");
    add_required_value(sub, flags->corrupt_corr, "--corrupt-corr", "corruption correlation in %");
    add_value(sub, flags->rate_kbit, "--rate-kbit", "rate limit in kbit/s, through a tbf under netem (alone: 1000)");
    sub->add_flag("--dry-run", flags->dry_run,
                  "check the flags and print the fault with defaults filled in; touch nothing");
    return sub;
  };
  c.run = [flags]() -> int {
    NetemFault fault;
    try {
      fault = fault_from(*flags);
    } catch (const BadFlag& bad) {
      return fail("netem", bad.why, kExitBadFlags);
    }
    if (Status st = validate(fault); !st) return fail("netem", st.error, kExitBadFlags);
    if (flags->dry_run) {
      std::printf("netem on %s (dry run): %s\n", flags->dev.c_str(), describe(fault).c_str());
      return kExitApplied;
    }
    RouteSocket sock;
    Status st = apply_netem_fault(sock, flags->dev, fault);
    if (!st && st.unsupported) {
      // Name everything missing, not just the first refusal, so the operator
      // (or the controller's log) sees the whole picture at once.
      std::vector<std::string> missing = missing_netem_kernel_support(fault.rate_kbit.has_value());
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      std::string why = "the kernel lacks " + (list.empty() ? std::string("a needed qdisc") : list) +
                        " (neither built in nor loadable); per-destination netem faults need sch_prio, "
                        "sch_netem and cls_u32 (sch_tbf for a rate); use the NFQUEUE shaper instead. "
                        "First refusal: " + st.error;
      return fail("netem", why, kExitUnsupported);
    }
    if (!st) return fail("netem", st.error, kExitFailed);
    std::printf("netem on %s: %s\n", flags->dev.c_str(), describe(fault).c_str());
    return kExitApplied;
  };
  return c;
}

Command netem_clear_command() {
  auto dev = std::make_shared<std::string>();
  Command c;
  c.name = "netem-clear";
  c.register_flags = [dev](CLI::App& app) {
    CLI::App* sub = app.add_subcommand("netem-clear", "remove the packet fault (the root qdisc) from DEV; "
                                                      "nothing to remove is success");
    sub->add_option("--dev", *dev, "device in this namespace, e.g. eth0")->required();
    return sub;
  };
  c.run = [dev]() -> int {
    RouteSocket sock;
    if (Status st = clear_netem_fault(sock, *dev); !st) return fail("netem-clear", st.error, kExitFailed);
    std::printf("netem cleared on %s\n", dev->c_str());
    return kExitApplied;
  };
  return c;
}

Command qdiscs_command() {
  auto dev = std::make_shared<std::string>();
  Command c;
  c.name = "qdiscs";
  c.register_flags = [dev](CLI::App& app) {
    CLI::App* sub = app.add_subcommand("qdiscs", "list DEV's qdiscs, one per line (\"netem 40: parent 1:4\"), "
                                                 "for checks where tc is missing");
    sub->add_option("--dev", *dev, "device in this namespace, e.g. eth0")->required();
    return sub;
  };
  c.run = [dev]() -> int {
    RouteSocket sock;
    std::vector<QdiscInfo> qdiscs;
    if (Status st = list_qdiscs(sock, *dev, &qdiscs); !st) return fail("qdiscs", st.error, kExitFailed);
    for (const auto& q : qdiscs) std::printf("%s\n", describe(q).c_str());
    return kExitApplied;
  };
  return c;
}

}  // namespace faultline::nemesis::agent
