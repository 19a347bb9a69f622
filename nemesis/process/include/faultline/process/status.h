// The outcome of one system-level step (a netlink request, a cgroup write):
// success, or a one-line reason a person can act on.
#ifndef FAULTLINE_PROCESS_STATUS_H_
#define FAULTLINE_PROCESS_STATUS_H_

#include <string>
#include <utility>

namespace faultline::process {

struct Status {
  bool ok = true;
  // The kernel or tool does not know the thing asked for (a qdisc kind, a
  // link type, a classifier): distinct from "asked wrongly" or "not allowed",
  // because callers pick a fallback mechanism on it.
  bool unsupported = false;
  std::string error;

  static Status success() { return {}; }
  static Status failure(std::string why, bool unsupported = false) {
    return Status{false, unsupported, std::move(why)};
  }
  explicit operator bool() const { return ok; }
};

}  // namespace faultline::process

#endif  // FAULTLINE_PROCESS_STATUS_H_
