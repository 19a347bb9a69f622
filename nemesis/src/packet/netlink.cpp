#include "packet/netlink.h"

#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/socket.h>

namespace faultline::nemesis {
using process::Status;
namespace {

// Which libnl errors mean "this kernel does not have it".
bool is_unsupported(int err) {
  return err == -NLE_OBJ_NOTFOUND || err == -NLE_OPNOTSUPP || err == -NLE_AF_NOSUPPORT ||
         err == -NLE_PROTO_MISMATCH;
}

Status from_nl(int err, const std::string& what) {
  if (err >= 0) return Status::success();
  return Status::failure(what + ": " + netlink_error(err), is_unsupported(err));
}

struct LinkPtr {
  rtnl_link* p = nullptr;
  ~LinkPtr() {
    if (p != nullptr) rtnl_link_put(p);
  }
};

}  // namespace

std::string netlink_error(int nl_error) {
  int code = nl_error < 0 ? -nl_error : nl_error;
  std::string text = nl_geterror(code);
  if (code == NLE_PERM) text += " (needs root or CAP_NET_ADMIN)";
  return text;
}

RouteSocket::RouteSocket() = default;

RouteSocket::~RouteSocket() {
  if (sock_ != nullptr) nl_socket_free(sock_);  // also closes it
}

Status RouteSocket::connect() {
  if (connected_) return Status::success();
  if (sock_ == nullptr) sock_ = nl_socket_alloc();
  if (sock_ == nullptr) return Status::failure("nl_socket_alloc failed");
  int err = nl_connect(sock_, NETLINK_ROUTE);
  if (err < 0) return from_nl(err, "connect rtnetlink");
  connected_ = true;
  return Status::success();
}

int RouteSocket::link_index(const std::string& name) {
  if (!connected_) return 0;
  LinkPtr link;
  if (rtnl_link_get_kernel(sock_, 0, name.c_str(), &link.p) < 0 || link.p == nullptr) return 0;
  return rtnl_link_get_ifindex(link.p);
}

Status RouteSocket::add_veth_pair(const std::string& name, const std::string& peer) {
  if (!connected_) return Status::failure("rtnetlink socket not connected");
  LinkPtr link;
  link.p = rtnl_link_veth_alloc();
  if (link.p == nullptr) return Status::failure("rtnl_link_veth_alloc failed");
  rtnl_link_set_name(link.p, name.c_str());
  rtnl_link_set_name(rtnl_link_veth_get_peer(link.p), peer.c_str());
  return from_nl(rtnl_link_add(sock_, link.p, NLM_F_CREATE | NLM_F_EXCL), "add veth " + name + "/" + peer);
}

Status RouteSocket::add_bridge(const std::string& name) {
  if (!connected_) return Status::failure("rtnetlink socket not connected");
  LinkPtr link;
  link.p = rtnl_link_bridge_alloc();
  if (link.p == nullptr) return Status::failure("rtnl_link_bridge_alloc failed");
  rtnl_link_set_name(link.p, name.c_str());
  return from_nl(rtnl_link_add(sock_, link.p, NLM_F_CREATE | NLM_F_EXCL), "add bridge " + name);
}

Status RouteSocket::add_dummy(const std::string& name) {
  if (!connected_) return Status::failure("rtnetlink socket not connected");
  LinkPtr link;
  link.p = rtnl_link_alloc();
  if (link.p == nullptr) return Status::failure("rtnl_link_alloc failed");
  int err = rtnl_link_set_type(link.p, "dummy");
  if (err < 0) return from_nl(err, "link type dummy");
  rtnl_link_set_name(link.p, name.c_str());
  return from_nl(rtnl_link_add(sock_, link.p, NLM_F_CREATE | NLM_F_EXCL), "add dummy " + name);
}

Status RouteSocket::set_up(const std::string& name) {
  if (!connected_) return Status::failure("rtnetlink socket not connected");
  LinkPtr current;
  int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &current.p);
  if (err < 0) return from_nl(err, "find link " + name);
  LinkPtr change;
  change.p = rtnl_link_alloc();
  rtnl_link_set_flags(change.p, IFF_UP);
  return from_nl(rtnl_link_change(sock_, current.p, change.p, 0), "set " + name + " up");
}

Status RouteSocket::set_master(const std::string& port, const std::string& bridge) {
  if (!connected_) return Status::failure("rtnetlink socket not connected");
  int master = link_index(bridge);
  int slave = link_index(port);
  if (master == 0) return Status::failure("no link named " + bridge);
  if (slave == 0) return Status::failure("no link named " + port);
  return from_nl(rtnl_link_enslave_ifindex(sock_, master, slave), "attach " + port + " to " + bridge);
}

Status RouteSocket::move_to_netns_of(const std::string& name, pid_t pid) {
  if (!connected_) return Status::failure("rtnetlink socket not connected");
  LinkPtr current;
  int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &current.p);
  if (err < 0) return from_nl(err, "find link " + name);
  LinkPtr change;
  change.p = rtnl_link_alloc();
  rtnl_link_set_ns_pid(change.p, pid);
  return from_nl(rtnl_link_change(sock_, current.p, change.p, 0),
                 "move " + name + " into the namespace of pid " + std::to_string(pid));
}

Status RouteSocket::delete_link(const std::string& name) {
  if (!connected_) return Status::failure("rtnetlink socket not connected");
  LinkPtr link;
  link.p = rtnl_link_alloc();
  rtnl_link_set_name(link.p, name.c_str());
  return from_nl(rtnl_link_delete(sock_, link.p), "delete link " + name);
}

}  // namespace faultline::nemesis
