// Links over rtnetlink (libnl-route): veth pairs, bridges, up/down, moving a
// link into another namespace. Everything acts on the network namespace of
// the calling process, so namespace work belongs in a forked child
// (forked.h) or in a process started inside the namespace.
#ifndef FAULTLINE_NEMESIS_NETLINK_H_
#define FAULTLINE_NEMESIS_NETLINK_H_

#include <sys/types.h>

#include <string>

#include "faultline/process/status.h"

struct nl_sock;  // libnl; kept out of this header on purpose

namespace faultline::nemesis {

// Describes a libnl error code (negative NLE_*) for a one-line reason.
std::string netlink_error(int nl_error);

// One connected NETLINK_ROUTE socket.
class RouteSocket {
 public:
  RouteSocket();
  ~RouteSocket();
  RouteSocket(const RouteSocket&) = delete;
  RouteSocket& operator=(const RouteSocket&) = delete;

  // Allocates and connects; every other call fails cleanly until this succeeds.
  process::Status connect();
  bool connected() const { return connected_; }
  nl_sock* raw() const { return sock_; }

  // Interface index, or 0 when there is no such link.
  int link_index(const std::string& name);

  process::Status add_veth_pair(const std::string& name, const std::string& peer);
  process::Status add_bridge(const std::string& name);
  process::Status add_dummy(const std::string& name);
  process::Status set_up(const std::string& name);
  process::Status set_master(const std::string& port, const std::string& bridge);
  // Moves the link into the network namespace of process `pid`.
  process::Status move_to_netns_of(const std::string& name, pid_t pid);
  process::Status delete_link(const std::string& name);

 private:
  nl_sock* sock_ = nullptr;
  bool connected_ = false;
};

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_NETLINK_H_
