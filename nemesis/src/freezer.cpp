#include "freezer.h"

#include <dirent.h>
#include <signal.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "faultline/process/text.h"

namespace faultline::nemesis {
using process::Status;
namespace {

using Clock = std::chrono::steady_clock;

// A cgroup file that cannot be opened reads as empty: release then finds no
// task to move, and a state wait runs to its deadline and says what it read.
std::string read_file(const std::string& path) { return process::read_file(path).value_or(""); }

Status write_file(const std::string& path, const std::string& value) {
  // cgroup files want one write(2) per value, which ofstream does not promise.
  FILE* f = std::fopen(path.c_str(), "we");
  if (f == nullptr) return Status::failure("open " + path + ": " + std::strerror(errno));
  std::setvbuf(f, nullptr, _IONBF, 0);
  bool ok = std::fwrite(value.data(), 1, value.size(), f) == value.size();
  int err = errno;
  std::fclose(f);
  if (!ok) return Status::failure("write '" + value + "' to " + path + ": " + std::strerror(err));
  return Status::success();
}

// mountinfo fields: id parent major:minor root mount-point options ... - fstype source super-options
struct Mount {
  std::string point, fstype, super_options;
};

std::vector<Mount> read_mounts() {
  std::vector<Mount> mounts;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point, token;
    fields >> id >> parent >> dev >> root >> point;
    while (fields >> token && token != "-") {
    }
    Mount m;
    m.point = point;
    fields >> m.fstype >> token >> m.super_options;
    mounts.push_back(std::move(m));
  }
  return mounts;
}

bool has_option(const std::string& options, const std::string& name) {
  std::istringstream in(options);
  std::string opt;
  while (std::getline(in, opt, ',')) {
    if (opt == name) return true;
  }
  return false;
}

}  // namespace

std::optional<FreezerHierarchy> find_freezer_hierarchy() {
  std::optional<FreezerHierarchy> v2;
  for (const Mount& m : read_mounts()) {
    if (m.fstype == "cgroup" && has_option(m.super_options, "freezer")) {
      return FreezerHierarchy{CgroupVersion::v1, m.point};
    }
    if (m.fstype == "cgroup2" && !v2) v2 = FreezerHierarchy{CgroupVersion::v2, m.point};
  }
  if (v2 && ::access((v2->mount_point + "/cgroup.procs").c_str(), F_OK) != 0) v2.reset();
  return v2;
}

FreezerCgroup::~FreezerCgroup() {
  if (!path_.empty()) destroy(std::chrono::milliseconds(500));
}

Status FreezerCgroup::create(const FreezerHierarchy& hierarchy, const std::string& name) {
  if (!path_.empty()) return Status::failure("freezer cgroup already created at " + path_);
  std::string path = hierarchy.mount_point + "/" + name;
  if (::mkdir(path.c_str(), 0755) != 0) {
    int err = errno;
    std::string why = "mkdir " + path + ": " + std::strerror(err);
    if (err == EACCES || err == EPERM) why += " (needs root)";
    return Status::failure(why, err == EROFS);
  }
  path_ = path;
  root_ = hierarchy.mount_point;
  version_ = hierarchy.version;
  if (version_ == CgroupVersion::v2 && ::access((path_ + "/cgroup.freeze").c_str(), F_OK) != 0) {
    Status st = Status::failure("no cgroup.freeze in " + path_ + " (cgroup v2 freezer needs Linux 5.2+)", true);
    ::rmdir(path_.c_str());
    path_.clear();
    return st;
  }
  return Status::success();
}

Status FreezerCgroup::adopt(const FreezerHierarchy& hierarchy, const std::string& name) {
  if (!path_.empty()) return Status::failure("freezer cgroup already created at " + path_);
  const std::string path = hierarchy.mount_point + "/" + name;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Status::failure("no cgroup at " + path);
  path_ = path;
  root_ = hierarchy.mount_point;
  version_ = hierarchy.version;
  return Status::success();
}

Status FreezerCgroup::add(pid_t pid) {
  if (path_.empty()) return Status::failure("freezer cgroup not created");
  return write_file(path_ + "/cgroup.procs", std::to_string(pid));
}

Status FreezerCgroup::release_all() {
  if (path_.empty()) return Status::failure("freezer cgroup not created");
  std::istringstream procs(read_file(path_ + "/cgroup.procs"));
  std::string pid;
  Status result = Status::success();
  while (procs >> pid) {
    Status st = write_file(root_ + "/cgroup.procs", pid);
    // A process that exited meanwhile is gone from the group anyway.
    if (!st && ::kill(std::stoi(pid), 0) == 0) result = st;
  }
  return result;
}

Status FreezerCgroup::wait_state(bool frozen, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string last;
  while (true) {
    if (version_ == CgroupVersion::v1) {
      last = read_file(path_ + "/freezer.state");
      if (last.rfind(frozen ? "FROZEN" : "THAWED", 0) == 0) return Status::success();
    } else {
      last = read_file(path_ + "/cgroup.events");
      if (last.find(frozen ? "frozen 1" : "frozen 0") != std::string::npos) return Status::success();
    }
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  while (!last.empty() && (last.back() == '\n' || last.back() == ' ')) last.pop_back();
  for (char& c : last) {
    if (c == '\n') c = ' ';
  }
  return Status::failure(std::string(frozen ? "freeze" : "thaw") + " of " + path_ + " did not complete within " +
                         std::to_string(timeout.count()) + " ms (state: " + last + ")");
}

Status FreezerCgroup::freeze(std::chrono::milliseconds timeout) {
  if (path_.empty()) return Status::failure("freezer cgroup not created");
  Status st = version_ == CgroupVersion::v1 ? write_file(path_ + "/freezer.state", "FROZEN")
                                            : write_file(path_ + "/cgroup.freeze", "1");
  if (!st) return st;
  return wait_state(true, timeout);
}

Status FreezerCgroup::thaw(std::chrono::milliseconds timeout) {
  if (path_.empty()) return Status::failure("freezer cgroup not created");
  Status st = version_ == CgroupVersion::v1 ? write_file(path_ + "/freezer.state", "THAWED")
                                            : write_file(path_ + "/cgroup.freeze", "0");
  if (!st) return st;
  return wait_state(false, timeout);
}

Status FreezerCgroup::destroy(std::chrono::milliseconds timeout) {
  if (path_.empty()) return Status::success();
  Status thawed = thaw(timeout);
  const auto deadline = Clock::now() + timeout;
  while (::rmdir(path_.c_str()) != 0) {
    int err = errno;
    if (err == ENOENT) break;
    if (err != EBUSY || Clock::now() >= deadline) {
      return Status::failure("rmdir " + path_ + ": " + std::strerror(err) +
                             (thawed ? "" : "; " + thawed.error));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  path_.clear();
  return Status::success();
}

std::vector<std::string> remove_freezer_groups(const FreezerHierarchy& hierarchy, const std::string& prefix,
                                               std::vector<std::string>* errors) {
  std::vector<std::string> removed;
  if (prefix.empty()) return removed;  // never sweep every group on the machine
  DIR* dir = ::opendir(hierarchy.mount_point.c_str());
  if (dir == nullptr) return removed;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (e->d_type == DT_DIR && name.rfind(prefix, 0) == 0) names.push_back(name);
  }
  ::closedir(dir);
  for (const auto& name : names) {
    const std::string path = hierarchy.mount_point + "/" + name;
    FreezerCgroup group;
    Status st = group.adopt(hierarchy, name);
    if (st) st = group.thaw();
    if (st) st = group.release_all();
    if (st) st = group.destroy();
    if (st) {
      removed.push_back("freezer cgroup " + path);
    } else if (errors != nullptr) {
      errors->push_back("freezer cgroup " + path + ": " + st.error);
    }
  }
  return removed;
}

}  // namespace faultline::nemesis
