#include "packet/netem_fault.h"

#include <arpa/inet.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>

#include "faultline/process/forked.h"

namespace faultline::nemesis {
using process::ChildOutcome;
using process::ForkOptions;
using process::Status;
using process::run_forked;
namespace {

// Upper bounds that keep every value inside what netem and tbf take (netem's
// latency is a u32 of 64 ns ticks: ~274 s; tbf's rate a u32 of bytes/s).
constexpr double kMaxDelayMs = 60'000;
constexpr std::uint32_t kMaxRateKbit = 10'000'000;  // 10 Gbit/s

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g%%", v);
  return buf;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

Status check_percent(const std::string& what, double v) {
  if (!std::isfinite(v) || v < 0 || v > 100) {
    return Status::failure(what + ": " + num(v) + " % is outside 0..100");
  }
  return Status::success();
}

Status check_chance(const std::string& name, const std::optional<ChanceFault>& c) {
  if (!c) return Status::success();
  if (Status st = check_percent(name, c->percent); !st) return st;
  if (Status st = check_percent(name + " correlation", c->correlation); !st) return st;
  return Status::success();
}

// "10.9.0.2" or "10.9.0.0/24"; the u32 filter takes a prefix.
Status check_destination(const std::string& dst) {
  std::string addr = dst;
  if (auto slash = dst.find('/'); slash != std::string::npos) {
    addr = dst.substr(0, slash);
    std::string prefix = dst.substr(slash + 1);
    bool digits = !prefix.empty() && prefix.size() <= 2 &&
                  prefix.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(prefix) > 32) {
      return Status::failure("destination '" + dst + "': prefix length must be 0..32");
    }
  }
  in_addr parsed{};
  if (::inet_pton(AF_INET, addr.c_str(), &parsed) != 1) {
    return Status::failure("destination '" + dst + "': not an IPv4 address (like 10.9.0.2)");
  }
  return Status::success();
}

// The kernel module behind each tc kind, for messages people act on.
std::string module_of(const std::string& kind) {
  static const std::map<std::string, std::string> modules = {
      {"prio", "sch_prio"}, {"netem", "sch_netem"}, {"u32", "cls_u32"}, {"tbf", "sch_tbf"}};
  auto it = modules.find(kind);
  return it == modules.end() ? kind : it->second;
}

// Rewrites an "unknown kind" failure so it leads with the missing module.
Status name_missing(Status st, const std::string& kind) {
  if (st.ok || !st.unsupported) return st;
  return Status::failure("this kernel has no " + module_of(kind) + " (" + st.error + ")", true);
}

std::string tc_handle_text(std::uint32_t h) {
  if (h == kTcRoot) return "root";
  char buf[32];
  if ((h & 0xFFFF) == 0) {
    std::snprintf(buf, sizeof buf, "%x:", h >> 16);
  } else {
    std::snprintf(buf, sizeof buf, "%x:%x", h >> 16, h & 0xFFFF);
  }
  return buf;
}

// Deletes the root qdisc; "there is none" (ENOENT: no qdisc, or the default
// one with handle 0 that cannot be deleted) is success.
Status delete_root(RouteSocket& sock, int ifindex, const std::string& device) {
  rtnl_qdisc* q = rtnl_qdisc_alloc();
  if (q == nullptr) return Status::failure("libnl allocation failed");
  rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
  rtnl_tc_set_parent(TC_CAST(q), kTcRoot);
  int err = rtnl_qdisc_delete(sock.raw(), q);
  rtnl_qdisc_put(q);
  if (err >= 0 || err == -NLE_OBJ_NOTFOUND) return Status::success();
  return Status::failure("delete the root qdisc of " + device + ": " + netlink_error(err));
}

Status find_device(RouteSocket& sock, const std::string& device, int* ifindex) {
  if (Status st = sock.connect(); !st) return st;
  *ifindex = sock.link_index(device);
  if (*ifindex == 0) return Status::failure("no device named '" + device + "' in this network namespace");
  return Status::success();
}

}  // namespace

Status validate(const NetemFault& f) {
  if (f.destinations.empty()) return Status::failure("no destination: name at least one IPv4 address");
  for (const auto& dst : f.destinations) {
    if (Status st = check_destination(dst); !st) return st;
  }
  bool any = f.delay || f.loss || f.duplicate || f.reorder || f.corrupt || f.rate_kbit;
  if (!any) return Status::failure("no fault: ask for at least one of delay, loss, duplicate, reorder, corrupt, rate");
  if (f.delay) {
    const DelayFault& d = *f.delay;
    if (!std::isfinite(d.ms) || d.ms <= 0 || d.ms > kMaxDelayMs) {
      return Status::failure("delay: " + num(d.ms) + " ms is outside (0, " + num(kMaxDelayMs) + "]");
    }
    if (!std::isfinite(d.jitter_ms) || d.jitter_ms < 0 || d.jitter_ms > kMaxDelayMs) {
      return Status::failure("delay jitter: " + num(d.jitter_ms) + " ms is outside 0.." + num(kMaxDelayMs));
    }
    if (Status st = check_percent("delay correlation", d.correlation); !st) return st;
    // netem only applies a correlation or a distribution to the random part.
    if (d.correlation > 0 && d.jitter_ms == 0) return Status::failure("delay correlation needs a jitter");
    if (!d.distribution.empty()) {
      if (d.jitter_ms == 0) return Status::failure("delay distribution '" + d.distribution + "' needs a jitter");
      DistributionTable table;
      if (Status st = load_distribution(d.distribution, &table); !st) return Status::failure("delay: " + st.error);
    }
  }
  if (Status st = check_chance("loss", f.loss); !st) return st;
  if (Status st = check_chance("duplicate", f.duplicate); !st) return st;
  if (Status st = check_chance("reorder", f.reorder); !st) return st;
  if (Status st = check_chance("corrupt", f.corrupt); !st) return st;
  if (f.reorder && f.reorder->percent > 0 && !f.delay) {
    return Status::failure("reorder needs a delay: netem reorders by sending some packets without the delay");
  }
  if (f.rate_kbit && (*f.rate_kbit == 0 || *f.rate_kbit > kMaxRateKbit)) {
    return Status::failure("rate: " + std::to_string(*f.rate_kbit) + " kbit/s is outside 1.." +
                           std::to_string(kMaxRateKbit));
  }
  return Status::success();
}

NetemParams to_netem_params(const NetemFault& f) {
  NetemParams p;
  if (f.delay) {
    p.delay_us = static_cast<std::uint32_t>(std::llround(f.delay->ms * 1000));
    p.jitter_us = static_cast<std::uint32_t>(std::llround(f.delay->jitter_ms * 1000));
    p.delay_correlation = f.delay->correlation;
    p.distribution = f.delay->distribution;
  }
  if (f.loss) p.loss = f.loss->percent, p.loss_correlation = f.loss->correlation;
  if (f.duplicate) p.duplicate = f.duplicate->percent, p.duplicate_correlation = f.duplicate->correlation;
  if (f.reorder) p.reorder = f.reorder->percent, p.reorder_correlation = f.reorder->correlation;
  if (f.corrupt) p.corrupt = f.corrupt->percent, p.corrupt_correlation = f.corrupt->correlation;
  return p;
}

std::string describe(const NetemFault& f) {
  std::string out;
  auto add = [&out](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (f.delay) {
    std::string d = "delay " + num(f.delay->ms) + "ms ±" + num(f.delay->jitter_ms) + "ms";
    if (f.delay->correlation > 0) d += " (corr " + pct(f.delay->correlation) + ")";
    if (!f.delay->distribution.empty()) d += " " + f.delay->distribution;
    add(d);
  }
  auto chance = [&add](const char* name, const std::optional<ChanceFault>& c) {
    if (c) add(std::string(name) + " " + pct(c->percent) + " (corr " + pct(c->correlation) + ")");
  };
  chance("loss", f.loss);
  chance("duplicate", f.duplicate);
  chance("reorder", f.reorder);
  chance("corrupt", f.corrupt);
  if (f.rate_kbit) add("rate " + std::to_string(*f.rate_kbit) + "kbit");
  std::string dsts;
  for (const auto& d : f.destinations) dsts += (dsts.empty() ? "" : ",") + d;
  return out + " to " + dsts;
}

std::vector<std::string> agent_netem_args(const std::string& device, const NetemFault& f) {
  // Shortest text that reads back as the same double.
  auto text = [](double v) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : num(v);
  };
  std::string dsts;
  for (const auto& d : f.destinations) dsts += (dsts.empty() ? "" : ",") + d;
  std::vector<std::string> args = {"netem", "--dev", device, "--dst", dsts};
  if (f.delay) {
    args.insert(args.end(), {"--delay-ms", text(f.delay->ms)});
    if (f.delay->jitter_ms > 0) args.insert(args.end(), {"--jitter-ms", text(f.delay->jitter_ms)});
    if (f.delay->correlation > 0) args.insert(args.end(), {"--delay-corr", text(f.delay->correlation)});
    if (!f.delay->distribution.empty()) args.insert(args.end(), {"--distribution", f.delay->distribution});
  }
  auto chance = [&](const char* flag, const std::optional<ChanceFault>& c) {
    if (!c) return;
    args.insert(args.end(), {std::string("--") + flag, text(c->percent)});
    args.insert(args.end(), {std::string("--") + flag + "-corr", text(c->correlation)});
  };
  chance("loss", f.loss);
  chance("duplicate", f.duplicate);
  chance("reorder", f.reorder);
  chance("corrupt", f.corrupt);
  if (f.rate_kbit) args.insert(args.end(), {"--rate-kbit", std::to_string(*f.rate_kbit)});
  return args;
}

std::vector<std::string> agent_netem_clear_args(const std::string& device) {
  return {"netem-clear", "--dev", device};
}

Status apply_netem_fault(RouteSocket& sock, const std::string& device, const NetemFault& fault) {
  if (Status st = validate(fault); !st) return st;
  int ifindex = 0;
  if (Status st = find_device(sock, device, &ifindex); !st) return st;
  // Start from a bare device, so the tree below is the only one there.
  if (Status st = delete_root(sock, ifindex, device); !st) return st;

  // Any later failure removes what was built so far.
  auto undo = [&](Status st) {
    (void)delete_root(sock, ifindex, device);
    return st;
  };
  if (Status st = add_prio(sock, ifindex, kTcRoot, kNetemPrioHandle, kNetemPrioBands); !st) {
    return undo(name_missing(st, "prio"));
  }
  if (Status st = add_netem(sock, ifindex, kNetemBand, kNetemHandle, to_netem_params(fault)); !st) {
    return undo(name_missing(st, "netem"));
  }
  if (fault.rate_kbit) {
    // tbf under netem's one class. The bucket holds 10 ms at the rate but at
    // least a few full-size frames (a bucket smaller than a packet never
    // lets it through); the queue holds 500 ms, so a slow link delays
    // rather than drops at first, as netem's own rate would.
    std::uint32_t bytes_per_s = *fault.rate_kbit * 125;
    std::uint32_t burst = std::max<std::uint32_t>(bytes_per_s / 100, 4 * 1514);
    if (Status st = add_tbf(sock, ifindex, tc_handle(0x40, 1), kNetemRateHandle, bytes_per_s, burst, 500'000); !st) {
      return undo(name_missing(st, "tbf"));
    }
  }
  for (const auto& dst : fault.destinations) {
    std::string cidr = dst.find('/') == std::string::npos ? dst + "/32" : dst;
    if (Status st = add_u32_destination_filter(sock, ifindex, kNetemPrioHandle, 1, cidr, kNetemBand); !st) {
      return undo(name_missing(st, "u32"));
    }
  }
  return Status::success();
}

Status clear_netem_fault(RouteSocket& sock, const std::string& device) {
  int ifindex = 0;
  if (Status st = find_device(sock, device, &ifindex); !st) return st;
  return delete_root(sock, ifindex, device);
}

Status list_qdiscs(RouteSocket& sock, const std::string& device, std::vector<QdiscInfo>* out) {
  out->clear();
  int ifindex = 0;
  if (Status st = find_device(sock, device, &ifindex); !st) return st;
  nl_cache* cache = nullptr;
  int err = rtnl_qdisc_alloc_cache(sock.raw(), &cache);
  if (err < 0) return Status::failure("list qdiscs: " + netlink_error(err));
  for (nl_object* o = nl_cache_get_first(cache); o != nullptr; o = nl_cache_get_next(o)) {
    auto* tc = TC_CAST(o);
    if (rtnl_tc_get_ifindex(tc) != ifindex) continue;
    const char* kind = rtnl_tc_get_kind(tc);
    out->push_back({kind != nullptr ? kind : "?", rtnl_tc_get_handle(tc), rtnl_tc_get_parent(tc)});
  }
  nl_cache_free(cache);
  return Status::success();
}

std::string describe(const QdiscInfo& q) {
  std::string text = q.kind + " " + tc_handle_text(q.handle);
  return text + (q.parent == kTcRoot ? " root" : " parent " + tc_handle_text(q.parent));
}

std::vector<std::string> missing_netem_kernel_support(bool with_rate) {
  // Each kind is added on lo of a scratch namespace; a refusal that is not
  // "unknown kind" (say, EPERM) does not count as missing.
  auto work = [with_rate]() -> ChildOutcome {
    RouteSocket sock;
    if (Status st = sock.connect(); !st) return {false, st.error, false};
    if (Status st = sock.set_up("lo"); !st) return {false, st.error, false};
    int lo = sock.link_index("lo");
    std::string missing;
    auto note = [&missing](const std::string& module) { missing += (missing.empty() ? "" : ",") + module; };
    Status prio = add_prio(sock, lo, kTcRoot, kNetemPrioHandle, kNetemPrioBands);
    if (prio.unsupported) note("sch_prio");
    // netem and tbf go under a root that certainly exists: prio if there,
    // else each one at the root in turn.
    std::uint32_t parent = prio ? kNetemBand : kTcRoot;
    NetemParams params;
    params.delay_us = 1000;
    Status netem = add_netem(sock, lo, parent, kNetemHandle, params);
    if (netem.unsupported) note("sch_netem");
    if (!prio && netem) (void)delete_qdisc(sock, lo, kTcRoot);
    if (prio) {
      Status u32 = add_u32_destination_filter(sock, lo, kNetemPrioHandle, 1, "10.254.0.2/32", kNetemBand);
      if (u32.unsupported) note("cls_u32");
    }
    if (with_rate) {
      Status tbf = add_tbf(sock, lo, netem && prio ? tc_handle(0x40, 1) : kTcRoot, kNetemRateHandle, 125'000,
                           4 * 1514, 500'000);
      if (tbf.unsupported) note("sch_tbf");
    }
    return {true, missing, false};
  };
  ChildOutcome outcome = run_forked(work, ForkOptions{.new_netns = true, .timeout = std::chrono::milliseconds(3000)});
  std::vector<std::string> missing;
  if (!outcome.ok) return missing;
  std::string list = outcome.message;
  std::size_t start = 0;
  while (start < list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    missing.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return missing;
}

}  // namespace faultline::nemesis
