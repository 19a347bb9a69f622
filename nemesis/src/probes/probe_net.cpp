// Probes of namespaces, links and traffic control. Each *_work runs in a
// forked child that is already inside its own scratch network namespace
// (ForkOptions::new_netns), so whatever it creates vanishes with the child.
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "packet/qdisc.h"
#include "probes/probe_support.h"

namespace faultline::nemesis::detail {
using process::ChildOutcome;
using process::Status;
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string netns_id() {
  char buf[64] = {0};
  ssize_t n = ::readlink("/proc/self/ns/net", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}


// A grandchild parked in a second namespace, as a node's namespace would be.
class SecondNamespace {
 public:
  ~SecondNamespace() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Status start() {
    int ready[2];
    if (::pipe(ready) != 0) return Status::failure(std::string("pipe: ") + std::strerror(errno));
    pid_ = ::fork();
    if (pid_ < 0) return Status::failure(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
      ::close(ready[0]);
      char ok = ::unshare(CLONE_NEWNET) == 0 ? '1' : '0';
      [[maybe_unused]] ssize_t n = ::write(ready[1], &ok, 1);
      ::close(ready[1]);
      while (true) ::pause();
    }
    ::close(ready[1]);
    char ok = '0';
    ssize_t n = ::read(ready[0], &ok, 1);
    ::close(ready[0]);
    if (n != 1 || ok != '1') return Status::failure("second namespace: unshare(CLONE_NEWNET) failed");
    return Status::success();
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// Adds a classful qdisc at the root of lo that filters can hang under:
// prio where the kernel has it, else htb.
Status add_classful_root(RouteSocket& sock, int lo, std::string* kind) {
  Status st = add_prio(sock, lo, kTcRoot, tc_handle(1, 0), 4);
  if (st) {
    *kind = "a prio qdisc";
    return st;
  }
  if (!st.unsupported) return st;
  Status htb = add_htb(sock, lo, kTcRoot, tc_handle(1, 0), 0);
  if (htb) *kind = "an htb qdisc (prio unavailable)";
  return htb;
}

}  // namespace

ChildOutcome netns_work(const std::string& parent_netns) {
  std::string mine = netns_id();
  if (mine.empty()) return fail("cannot read /proc/self/ns/net in the scratch namespace");
  if (mine == parent_netns) return fail("unshare(CLONE_NEWNET) returned but the namespace did not change");
  return pass("created a private network namespace (" + mine + ") in a forked child; it vanished with the child");
}

ChildOutcome veth_work() {
  RouteSocket sock;
  if (Status st = sock.connect(); !st) return fail(st.error);
  if (Status st = sock.add_veth_pair("flt-va", "flt-vb"); !st) {
    return fail(st.unsupported ? "the kernel has no veth driver: " + st.error : st.error);
  }
  if (Status st = sock.set_up("flt-va"); !st) return fail(st.error);
  SecondNamespace other;
  if (Status st = other.start(); !st) return fail("veth pair created, but " + st.error);
  if (Status st = sock.move_to_netns_of("flt-vb", other.pid()); !st) {
    return fail("veth pair created, but one end could not be moved into another namespace: " + st.error);
  }
  if (sock.link_index("flt-vb") != 0) return fail("veth end still visible after moving it to another namespace");
  return pass("created a veth pair with libnl in a scratch namespace and moved one end into a second namespace");
}

ChildOutcome bridge_work() {
  RouteSocket sock;
  if (Status st = sock.connect(); !st) return fail(st.error);
  if (Status st = sock.add_bridge("flt-br"); !st) {
    return fail(st.unsupported ? "the kernel has no bridge driver: " + st.error : st.error);
  }
  if (Status st = sock.set_up("flt-br"); !st) return fail(st.error);
  if (Status st = sock.add_veth_pair("flt-ba", "flt-bb"); !st) {
    return pass("created a bridge with libnl in a scratch namespace (attaching a port not tried: no veth)");
  }
  if (Status st = sock.set_master("flt-ba", "flt-br"); !st) {
    return fail("bridge created, but a veth port could not be attached: " + st.error);
  }
  return pass("created a bridge with libnl in a scratch namespace and attached a veth port to it");
}

ChildOutcome netem_work() {
  RouteSocket sock;
  if (Status st = bring_up_loopback(sock); !st) return fail(st.error);
  int lo = sock.link_index("lo");
  NetemParams params;
  params.delay_us = 30'000;
  Status st = add_netem(sock, lo, kTcRoot, tc_handle(1, 0), params);
  if (!st) {
    if (st.unsupported) {
      return fail("no sch_netem: the kernel refused a netem qdisc added through libnl in a scratch namespace "
                  "(qdisc kind unknown); " + kernel_module_note("sch_netem"));
    }
    return fail(st.error);
  }
  // The qdisc exists; check that it really holds packets back.
  const auto start = Clock::now();
  if (!datagram_arrives("127.0.0.1", 1000ms)) return fail("netem qdisc added, but a test datagram never arrived");
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (took < 20ms) {
    return fail("netem qdisc added, but a datagram took only " + std::to_string(took.count()) +
                " ms with a 30 ms delay");
  }
  if (Status del = delete_qdisc(sock, lo, kTcRoot); !del) return fail("netem added but not removable: " + del.error);
  return pass("added a netem qdisc (delay 30 ms) through libnl in a scratch namespace; a datagram took " +
              std::to_string(took.count()) + " ms; removed it again");
}

ChildOutcome prio_work() {
  RouteSocket sock;
  if (Status st = bring_up_loopback(sock); !st) return fail(st.error);
  Status st = add_prio(sock, sock.link_index("lo"), kTcRoot, tc_handle(1, 0), 4);
  if (!st) return fail(st.unsupported ? "no sch_prio: the kernel refused a prio qdisc (qdisc kind unknown); " +
                                    kernel_module_note("sch_prio")
                              : st.error);
  return pass("added a 4-band prio qdisc through libnl in a scratch namespace");
}

ChildOutcome u32_work() {
  RouteSocket sock;
  if (Status st = bring_up_loopback(sock); !st) return fail(st.error);
  int lo = sock.link_index("lo");
  std::string parent_kind;
  if (Status st = add_classful_root(sock, lo, &parent_kind); !st) {
    return fail("untestable: no classful qdisc (prio or htb) to attach a filter to: " + st.error);
  }
  Status st = add_u32_destination_filter(sock, lo, tc_handle(1, 0), 1, "10.254.0.2/32", tc_handle(1, 4));
  if (!st) {
    return fail(st.unsupported ? "no cls_u32: the kernel refused a u32 filter (classifier unknown); " +
                                     kernel_module_note("cls_u32")
                               : st.error);
  }
  return pass("added a u32 destination filter through libnl under " + parent_kind + " in a scratch namespace");
}

ChildOutcome htb_work() {
  RouteSocket sock;
  if (Status st = bring_up_loopback(sock); !st) return fail(st.error);
  Status st = add_htb(sock, sock.link_index("lo"), kTcRoot, tc_handle(1, 0), 0x10);
  if (!st) return fail(st.unsupported ? "no sch_htb: the kernel refused a htb qdisc (qdisc kind unknown); " +
                                    kernel_module_note("sch_htb")
                              : st.error);
  return pass("added an htb qdisc through libnl in a scratch namespace");
}

ChildOutcome tbf_work() {
  RouteSocket sock;
  if (Status st = bring_up_loopback(sock); !st) return fail(st.error);
  Status st = add_tbf(sock, sock.link_index("lo"), kTcRoot, tc_handle(1, 0), 125'000, 32 * 1024, 50'000);
  if (!st) return fail(st.unsupported ? "no sch_tbf: the kernel refused a tbf qdisc (qdisc kind unknown); " +
                                    kernel_module_note("sch_tbf")
                              : st.error);
  return pass("added a tbf qdisc (1 Mbit/s) through libnl in a scratch namespace");
}

}  // namespace faultline::nemesis::detail
