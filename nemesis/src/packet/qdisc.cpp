#include "packet/qdisc.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/prio.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include <cmath>
#include <limits>

#include "packet/netem_distribution.h"

namespace faultline::nemesis {
using process::Status;
namespace {

struct QdiscPtr {
  rtnl_qdisc* p = rtnl_qdisc_alloc();
  ~QdiscPtr() {
    if (p != nullptr) rtnl_qdisc_put(p);
  }
};

struct ClsPtr {
  rtnl_cls* p = rtnl_cls_alloc();
  ~ClsPtr() {
    if (p != nullptr) rtnl_cls_put(p);
  }
};

std::string handle_text(std::uint32_t h) {
  if (h == kTcRoot) return "root";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%x:%x", h >> 16, h & 0xFFFF);
  return buf;
}

// The kernel answers ENOENT ("Specified qdisc kind is unknown", "TC
// classifier not found") when a qdisc or classifier is neither built in nor
// loadable; libnl reports that as "Object not found".
Status tc_result(int err, const std::string& what, const std::string& kind) {
  if (err >= 0) return Status::success();
  if (err == -NLE_OBJ_NOTFOUND) {
    return Status::failure(what + ": the kernel does not know '" + kind + "' (" + netlink_error(err) + ")", true);
  }
  if (err == -NLE_OPNOTSUPP) return Status::failure(what + ": " + netlink_error(err), true);
  return Status::failure(what + ": " + netlink_error(err));
}

Status prepare(RouteSocket& sock, rtnl_tc* tc, int ifindex, std::uint32_t parent, std::uint32_t handle,
               const char* kind) {
  if (!sock.connected()) return Status::failure("rtnetlink socket not connected");
  if (tc == nullptr) return Status::failure("libnl allocation failed");
  rtnl_tc_set_ifindex(tc, ifindex);
  rtnl_tc_set_parent(tc, parent);
  if (handle != 0) rtnl_tc_set_handle(tc, handle);
  int err = rtnl_tc_set_kind(tc, kind);
  if (err < 0) return Status::failure(std::string("libnl does not know tc kind '") + kind + "': " + netlink_error(err));
  return Status::success();
}

Status add_qdisc(RouteSocket& sock, rtnl_qdisc* q, const std::string& kind, int ifindex, std::uint32_t parent) {
  int err = rtnl_qdisc_add(sock.raw(), q, NLM_F_CREATE | NLM_F_REPLACE);
  return tc_result(err, "add " + kind + " qdisc at " + handle_text(parent) + " of ifindex " + std::to_string(ifindex),
                   kind);
}

}  // namespace

std::uint32_t netem_probability(double percent) {
  if (!(percent > 0)) return 0;
  if (percent >= 100) return std::numeric_limits<std::uint32_t>::max();
  return static_cast<std::uint32_t>(std::llround(percent / 100.0 * std::numeric_limits<std::uint32_t>::max()));
}

Status add_netem(RouteSocket& sock, int ifindex, std::uint32_t parent, std::uint32_t handle,
                 const NetemParams& p) {
  QdiscPtr q;
  if (Status st = prepare(sock, TC_CAST(q.p), ifindex, parent, handle, "netem"); !st) return st;
  if (p.reorder > 0 && p.delay_us == 0) return Status::failure("netem reorder needs a delay");
  if (p.limit_packets > 0) rtnl_netem_set_limit(q.p, static_cast<int>(p.limit_packets));
  // libnl's setters take the kernel's raw u32 probabilities as int.
  auto prob = [](double pct) { return static_cast<int>(netem_probability(pct)); };
  if (p.delay_us > 0) {
    rtnl_netem_set_delay(q.p, static_cast<int>(p.delay_us));
    if (p.jitter_us > 0) {
      rtnl_netem_set_jitter(q.p, static_cast<int>(p.jitter_us));
      if (p.delay_correlation > 0) rtnl_netem_set_delay_correlation(q.p, prob(p.delay_correlation));
      if (!p.distribution.empty()) {
        // Our loader, not libnl's: it also searches the multiarch directory
        // Debian installs the tables to (netem_distribution.h).
        DistributionTable table;
        if (Status st = load_distribution(p.distribution, &table); !st) return st;
        int err = rtnl_netem_set_delay_distribution_data(q.p, table.values.data(), table.values.size());
        if (err < 0) {
          return Status::failure("netem delay distribution " + table.path + ": " + netlink_error(err));
        }
      }
    }
  }
  if (p.loss > 0) {
    rtnl_netem_set_loss(q.p, prob(p.loss));
    if (p.loss_correlation > 0) rtnl_netem_set_loss_correlation(q.p, prob(p.loss_correlation));
  }
  if (p.duplicate > 0) {
    rtnl_netem_set_duplicate(q.p, prob(p.duplicate));
    if (p.duplicate_correlation > 0) rtnl_netem_set_duplicate_correlation(q.p, prob(p.duplicate_correlation));
  }
  if (p.reorder > 0) {
    rtnl_netem_set_reorder_probability(q.p, prob(p.reorder));
    if (p.reorder_correlation > 0) rtnl_netem_set_reorder_correlation(q.p, prob(p.reorder_correlation));
  }
  if (p.corrupt > 0) {
    rtnl_netem_set_corruption_probability(q.p, prob(p.corrupt));
    if (p.corrupt_correlation > 0) rtnl_netem_set_corruption_correlation(q.p, prob(p.corrupt_correlation));
  }
  return add_qdisc(sock, q.p, "netem", ifindex, parent);
}

Status add_prio(RouteSocket& sock, int ifindex, std::uint32_t parent, std::uint32_t handle, int bands) {
  if (bands < 3) return Status::failure("prio needs at least 3 bands");
  QdiscPtr q;
  if (Status st = prepare(sock, TC_CAST(q.p), ifindex, parent, handle, "prio"); !st) return st;
  rtnl_qdisc_prio_set_bands(q.p, bands);
  // Linux's default priomap: every priority lands in bands 0..2, so the
  // extra bands only receive what a filter steers there.
  uint8_t map[] = {1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  int err = rtnl_qdisc_prio_set_priomap(q.p, map, sizeof map);
  if (err < 0) return Status::failure("prio priomap: " + netlink_error(err));
  return add_qdisc(sock, q.p, "prio", ifindex, parent);
}

Status add_htb(RouteSocket& sock, int ifindex, std::uint32_t parent, std::uint32_t handle,
               std::uint32_t default_class_minor) {
  QdiscPtr q;
  if (Status st = prepare(sock, TC_CAST(q.p), ifindex, parent, handle, "htb"); !st) return st;
  rtnl_htb_set_defcls(q.p, default_class_minor);
  return add_qdisc(sock, q.p, "htb", ifindex, parent);
}

Status add_tbf(RouteSocket& sock, int ifindex, std::uint32_t parent, std::uint32_t handle,
               std::uint32_t rate_bytes_per_s, std::uint32_t burst_bytes, std::uint32_t latency_us) {
  QdiscPtr q;
  if (Status st = prepare(sock, TC_CAST(q.p), ifindex, parent, handle, "tbf"); !st) return st;
  rtnl_qdisc_tbf_set_rate(q.p, static_cast<int>(rate_bytes_per_s), static_cast<int>(burst_bytes), 0);
  int err = rtnl_qdisc_tbf_set_limit_by_latency(q.p, static_cast<int>(latency_us));
  if (err < 0) return Status::failure("tbf limit: " + netlink_error(err));
  return add_qdisc(sock, q.p, "tbf", ifindex, parent);
}

Status add_u32_destination_filter(RouteSocket& sock, int ifindex, std::uint32_t parent,
                                  std::uint16_t priority, const std::string& dst_cidr,
                                  std::uint32_t classid) {
  std::string addr_text = dst_cidr;
  int prefix = 32;
  if (auto slash = dst_cidr.find('/'); slash != std::string::npos) {
    addr_text = dst_cidr.substr(0, slash);
    try {
      prefix = std::stoi(dst_cidr.substr(slash + 1));
    } catch (...) {
      prefix = -1;
    }
  }
  in_addr addr{};
  if (::inet_pton(AF_INET, addr_text.c_str(), &addr) != 1 || prefix < 0 || prefix > 32) {
    return Status::failure("not an IPv4 address/prefix: " + dst_cidr);
  }
  ClsPtr cls;
  if (Status st = prepare(sock, TC_CAST(cls.p), ifindex, parent, 0, "u32"); !st) return st;
  rtnl_cls_set_prio(cls.p, priority);
  rtnl_cls_set_protocol(cls.p, ETH_P_IP);
  std::uint32_t mask = prefix == 0 ? 0 : (0xFFFFFFFFu << (32 - prefix));
  // The destination address sits at byte 16 of the IPv4 header.
  int err = rtnl_u32_add_key_uint32(cls.p, ntohl(addr.s_addr) & mask, mask, 16, 0);
  if (err < 0) return Status::failure("u32 key: " + netlink_error(err));
  rtnl_u32_set_classid(cls.p, classid);
  rtnl_u32_set_cls_terminal(cls.p);
  err = rtnl_cls_add(sock.raw(), cls.p, NLM_F_CREATE | NLM_F_EXCL);
  return tc_result(err, "add u32 filter (dst " + dst_cidr + " -> " + handle_text(classid) + ") under " +
                            handle_text(parent),
                   "u32");
}

Status delete_qdisc(RouteSocket& sock, int ifindex, std::uint32_t parent) {
  if (!sock.connected()) return Status::failure("rtnetlink socket not connected");
  QdiscPtr q;
  rtnl_tc_set_ifindex(TC_CAST(q.p), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.p), parent);
  int err = rtnl_qdisc_delete(sock.raw(), q.p);
  if (err >= 0) return Status::success();
  return Status::failure("delete qdisc at " + handle_text(parent) + ": " + netlink_error(err));
}

}  // namespace faultline::nemesis
