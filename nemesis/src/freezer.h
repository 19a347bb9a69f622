// Pausing a group of processes with the cgroup freezer (v1 `freezer.state`
// or v2 `cgroup.freeze`): unlike SIGSTOP, the frozen processes cannot tell
// and their parent sees no stop notification — a GC-like pause.
#ifndef FAULTLINE_NEMESIS_FREEZER_H_
#define FAULTLINE_NEMESIS_FREEZER_H_

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "faultline/process/status.h"

namespace faultline::nemesis {

enum class CgroupVersion { v1, v2 };

struct FreezerHierarchy {
  CgroupVersion version = CgroupVersion::v1;
  std::string mount_point;  // e.g. /sys/fs/cgroup/freezer (v1) or /sys/fs/cgroup (v2)
};

// The freezer hierarchy of this machine: cgroup v1 with the freezer
// controller when mounted, else a cgroup v2 mount (cgroup.freeze is a core
// v2 file). Reads /proc/self/mountinfo.
std::optional<FreezerHierarchy> find_freezer_hierarchy();

// One freezer cgroup the caller created; removed (thawed first) on destruction.
class FreezerCgroup {
 public:
  FreezerCgroup() = default;
  ~FreezerCgroup();
  FreezerCgroup(const FreezerCgroup&) = delete;
  FreezerCgroup& operator=(const FreezerCgroup&) = delete;

  // mkdir <hierarchy>/<name>.
  process::Status create(const FreezerHierarchy& hierarchy, const std::string& name);
  // Takes over an existing group (one a crashed controller left behind).
  process::Status adopt(const FreezerHierarchy& hierarchy, const std::string& name);
  process::Status add(pid_t pid);
  // Returns once the kernel reports the group fully frozen / thawed.
  process::Status freeze(std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));
  process::Status thaw(std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));
  // Thaws and removes the cgroup; its processes must have exited (or been
  // moved) first, or the kernel refuses with EBUSY, retried until `timeout`.
  process::Status destroy(std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

  // Moves every process of the group back to the hierarchy's root, so the
  // group can be destroyed while they go on running.
  process::Status release_all();

  const std::string& path() const { return path_; }
  CgroupVersion version() const { return version_; }

 private:
  process::Status wait_state(bool frozen, std::chrono::milliseconds timeout);
  std::string path_;
  std::string root_;
  CgroupVersion version_ = CgroupVersion::v1;
};

// After a controller crash: thaws every cgroup directly under the hierarchy
// whose name starts with `prefix`, moves its processes to the root and
// removes it. Returns one line per group removed; errors go to `errors`.
std::vector<std::string> remove_freezer_groups(const FreezerHierarchy& hierarchy, const std::string& prefix,
                                               std::vector<std::string>* errors);

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_FREEZER_H_
