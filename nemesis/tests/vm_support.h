// The VM lane's host side (netem_vmtest.cpp): a stock Debian cloud kernel
// fetched with apt and cached outside the repository, its modules resolved
// through modules.dep, and an initramfs (newc cpio) staged from host files —
// static busybox, dynamically linked binaries with the libraries ldd names,
// and an /init script.
//
// Cache layout ($FAULTLINE_VM_CACHE, default /var/cache/faultline/vm):
//   <package>_<version>/linux-image.deb    the package as apt downloaded it
//   <package>_<version>/tree/              dpkg-deb -x of it, depmod run on it
//   <package>_<version>/READY              written last: the entry is complete
// Nothing here is ever written inside the source tree.
#ifndef FAULTLINE_NEMESIS_TESTS_VM_SUPPORT_H_
#define FAULTLINE_NEMESIS_TESTS_VM_SUPPORT_H_

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "faultline/process/command.h"
#include "faultline/process/status.h"

namespace faultline::nemesis::vmtest {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command line; failure carries what ran and its first output line.
inline process::Status sh(const std::string& line, std::chrono::milliseconds timeout, std::string* output = nullptr) {
  process::CommandResult r = process::run_command({"sh", "-c", line}, {.timeout = timeout, .max_output = 1 << 20});
  if (output != nullptr) *output = r.output;
  if (r.succeeded()) return process::Status::success();
  return process::Status::failure("`" + line + "`: " + r.describe());
}

inline std::string cache_root() {
  const char* env = std::getenv("FAULTLINE_VM_CACHE");
  return env != nullptr && *env != '\0' ? env : "/var/cache/faultline/vm";
}

struct Kernel {
  std::string package;  // linux-image-6.1.0-56-cloud-amd64
  std::string version;  // 6.1.192-2
  std::string release;  // 6.1.0-56-cloud-amd64 (the lib/modules directory)
  std::string vmlinuz;
  std::string modules_dir;
};

// The concrete kernel package behind the cloud meta-package (or
// $FAULTLINE_VM_KERNEL_PACKAGE) and apt's candidate version of it.
inline process::Status resolve_kernel_package(std::string* package, std::string* version) {
  std::string out;
  if (const char* env = std::getenv("FAULTLINE_VM_KERNEL_PACKAGE"); env != nullptr && *env != '\0') {
    *package = env;
  } else {
    if (process::Status st = sh("apt-cache depends linux-image-cloud-amd64", 30s, &out); !st) return st;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      auto at = line.find("Depends: linux-image-");
      if (at != std::string::npos) {
        *package = line.substr(at + 9);
        break;
      }
    }
    if (package->empty()) return process::Status::failure("apt-cache names no kernel behind linux-image-cloud-amd64:\n" + out);
  }
  if (process::Status st = sh("apt-cache policy " + quote(*package), 30s, &out); !st) return st;
  auto at = out.find("Candidate: ");
  if (at == std::string::npos) return process::Status::failure("apt-cache policy shows no candidate for " + *package);
  *version = out.substr(at + 11, out.find('\n', at) - at - 11);
  if (version->empty() || *version == "(none)") {
    return process::Status::failure("no installable version of " + *package + " (run apt-get update?)");
  }
  return process::Status::success();
}

// Holds an exclusive lock on the cache root while a kernel is fetched, so
// two test runs never extract into the same directory.
class CacheLock {
 public:
  explicit CacheLock(const std::string& root) {
    fs::create_directories(root);
    fd_ = ::open((root + "/.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~CacheLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  CacheLock(const CacheLock&) = delete;
  CacheLock& operator=(const CacheLock&) = delete;

 private:
  int fd_ = -1;
};

// Finds the kernel image and module directory of an extracted cache entry,
// running depmod when the tree has no modules.dep yet.
inline process::Status open_entry(const std::string& entry, Kernel* k) {
  const std::string tree = entry + "/tree";
  std::error_code ec;
  k->release.clear();
  // lib/modules/<release>; newer Debian kernels ship under usr/lib.
  for (const char* base : {"/lib/modules", "/usr/lib/modules"}) {
    if (!fs::is_directory(tree + base) || !k->release.empty()) continue;
    for (const auto& d : fs::directory_iterator(tree + base)) k->release = d.path().filename().string();
    if (!k->release.empty()) k->modules_dir = tree + base + "/" + k->release;
  }
  if (k->release.empty()) return process::Status::failure("no lib/modules/<release> in " + tree);
  k->vmlinuz = tree + "/boot/vmlinuz-" + k->release;
  if (!fs::exists(k->vmlinuz)) return process::Status::failure("no kernel image at " + k->vmlinuz);
  if (!fs::exists(k->modules_dir + "/modules.dep")) {
    // The package leaves modules.dep to its postinst; depmod builds it here.
    // depmod -b looks under <base>/lib/modules, so a usr/lib-only tree gets a lib link.
    if (!fs::exists(tree + "/lib")) fs::create_directory_symlink("usr/lib", tree + "/lib", ec);
    if (process::Status st = sh("depmod -b " + quote(tree) + " " + quote(k->release), 120s); !st) return st;
  }
  return process::Status::success();
}

// Downloads and extracts k->package at k->version into its cache entry,
// unless a complete entry is there already.
inline process::Status prepare_entry(const std::string& root, Kernel* k, std::string* log) {
  const std::string entry = root + "/" + k->package + "_" + k->version;
  std::error_code ec;
  if (fs::exists(entry + "/READY")) {
    *log += "using cached " + entry + "\n";
    return open_entry(entry, k);
  }
  *log += "fetching " + k->package + " " + k->version + " into " + entry + "\n";
  fs::remove_all(entry, ec);  // a fetch that died halfway
  fs::create_directories(entry, ec);
  if (ec) return process::Status::failure("cannot create " + entry + ": " + ec.message());
  auto abandon = [&entry](process::Status st) {
    std::error_code ignored;
    fs::remove_all(entry, ignored);
    return st;
  };
  // apt-get download writes into the current directory.
  if (process::Status st = sh("cd " + quote(entry) + " && apt-get download -q " + quote(k->package + "=" + k->version) +
                         " && mv ./*.deb linux-image.deb",
                     300s);
      !st) {
    return abandon(st);
  }
  if (process::Status st = sh("dpkg-deb -x " + quote(entry + "/linux-image.deb") + " " + quote(entry + "/tree"), 120s); !st) {
    return abandon(st);
  }
  if (process::Status st = open_entry(entry, k); !st) return abandon(st);
  std::ofstream(entry + "/READY") << k->package << " " << k->version << "\n";
  return process::Status::success();
}

// The most recently completed cache entry, or "".
inline std::string newest_ready_entry(const std::string& root) {
  std::string best;
  fs::file_time_type best_time{};
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(root, ec)) {
    fs::path ready = d.path() / "READY";
    if (!fs::exists(ready)) continue;
    auto t = fs::last_write_time(ready, ec);
    if (best.empty() || t > best_time) best = d.path().string(), best_time = t;
  }
  return best;
}

// The current Debian cloud kernel, fetched once per version. Stale apt lists
// get one `apt-get update` and a retry; with no way to fetch at all (no
// network), the newest complete cache entry is used, saying so in `log`.
inline process::Status fetch_kernel(Kernel* k, std::string* log) {
  const std::string root = cache_root();
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return process::Status::failure("cannot create the VM cache " + root + ": " + ec.message());
  CacheLock lock(root);
  process::Status st = resolve_kernel_package(&k->package, &k->version);
  if (st) st = prepare_entry(root, k, log);
  if (!st) {
    *log += "first attempt failed (" + st.error + "); running apt-get update and retrying\n";
    if (sh("apt-get update -qq", 300s)) {
      st = resolve_kernel_package(&k->package, &k->version);
      if (st) st = prepare_entry(root, k, log);
    }
  }
  if (!st) {
    std::string cached = newest_ready_entry(root);
    if (cached.empty()) return st;
    *log += "could not fetch a kernel (" + st.error + "); using the cached " + cached + "\n";
    std::ifstream ready(cached + "/READY");
    ready >> k->package >> k->version;
    return open_entry(cached, k);
  }
  return st;
}

// The module files (relative to modules_dir) that load `names`, dependencies
// first; built-in names are skipped. Fails naming a module that is neither.
inline process::Status resolve_modules(const Kernel& k, const std::vector<std::string>& names, std::vector<std::string>* order) {
  auto module_name = [](std::string path) {
    path = path.substr(path.rfind('/') + 1);
    path = path.substr(0, path.find(".ko"));
    std::replace(path.begin(), path.end(), '-', '_');
    return path;
  };
  std::map<std::string, std::string> file_of;             // name -> relative path
  std::map<std::string, std::vector<std::string>> deps;   // relative path -> its dependencies
  std::ifstream dep(k.modules_dir + "/modules.dep");
  if (!dep) return process::Status::failure("cannot read " + k.modules_dir + "/modules.dep");
  std::string line;
  while (std::getline(dep, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string file = line.substr(0, colon);
    file_of[module_name(file)] = file;
    std::istringstream rest(line.substr(colon + 1));
    std::string d;
    while (rest >> d) deps[file].push_back(d);
  }
  std::set<std::string> builtin;
  std::ifstream bi(k.modules_dir + "/modules.builtin");
  while (std::getline(bi, line)) builtin.insert(module_name(line));

  std::set<std::string> seen;
  std::function<void(const std::string&)> visit = [&](const std::string& file) {
    if (!seen.insert(file).second) return;
    for (const auto& d : deps[file]) visit(d);
    order->push_back(file);
  };
  for (const auto& raw : names) {
    std::string name = module_name(raw);
    if (builtin.count(name) != 0) continue;
    auto it = file_of.find(name);
    if (it == file_of.end()) return process::Status::failure("kernel " + k.release + " has no module " + name);
    visit(it->second);
  }
  return process::Status::success();
}

// The shared libraries and dynamic loader `binary` needs, as ldd resolves
// them on this host. A static binary needs none.
inline process::Status shared_libraries(const std::string& binary, std::vector<std::string>* libs) {
  std::string out;
  sh("ldd " + quote(binary), 30s, &out);  // exits 1 for a static binary
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("not a dynamic executable") != std::string::npos ||
        line.find("statically linked") != std::string::npos) {
      return process::Status::success();
    }
    if (line.find("not found") != std::string::npos) return process::Status::failure(binary + ": ldd: " + line);
    std::string path;
    if (auto arrow = line.find("=> "); arrow != std::string::npos) {
      path = line.substr(arrow + 3, line.find(" (", arrow) - arrow - 3);
    } else {
      auto start = line.find_first_not_of(" \t");
      if (start != std::string::npos && line[start] == '/') path = line.substr(start, line.find(" (", start) - start);
    }
    if (!path.empty() && path[0] == '/') libs->push_back(path);
  }
  if (libs->empty()) return process::Status::failure("ldd listed nothing for " + binary + ":\n" + out);
  return process::Status::success();
}

// An initramfs staged in a directory and packed with cpio (newc, uncompressed:
// the kernel takes that as is).
class Initramfs {
 public:
  explicit Initramfs(std::string staging) : staging_(std::move(staging)) { fs::create_directories(staging_); }

  // Copies `source` (symlinks followed) to `dest` inside the image.
  process::Status add_file(const std::string& source, const std::string& dest, fs::perms mode = fs::perms::unknown) {
    std::error_code ec;
    fs::path target = fs::path(staging_) / fs::path(dest).relative_path();
    fs::create_directories(target.parent_path(), ec);
    fs::copy_file(fs::canonical(source, ec), target, fs::copy_options::overwrite_existing, ec);
    if (ec) return process::Status::failure("stage " + source + " as " + dest + ": " + ec.message());
    if (mode != fs::perms::unknown) fs::permissions(target, mode, ec);
    return process::Status::success();
  }

  process::Status add_text(const std::string& dest, const std::string& text, fs::perms mode = fs::perms::owner_read) {
    fs::path target = fs::path(staging_) / fs::path(dest).relative_path();
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    std::ofstream(target) << text;
    fs::permissions(target, mode, ec);
    return ec ? process::Status::failure("write " + dest + ": " + ec.message()) : process::Status::success();
  }

  // A binary and every library it links, at the same paths as on the host.
  process::Status add_binary_with_libraries(const std::string& source, const std::string& dest) {
    if (process::Status st = add_file(source, dest, fs::perms::owner_all); !st) return st;
    std::vector<std::string> libs;
    if (process::Status st = shared_libraries(source, &libs); !st) return st;
    for (const auto& lib : libs) {
      if (process::Status st = add_file(lib, lib, fs::perms::owner_all); !st) return st;
    }
    return process::Status::success();
  }

  process::Status pack(const std::string& image) {
    return sh("cd " + quote(staging_) + " && find . | cpio -o -H newc --quiet > " + quote(image), 60s);
  }

 private:
  std::string staging_;
};

}  // namespace faultline::nemesis::vmtest

#endif  // FAULTLINE_NEMESIS_TESTS_VM_SUPPORT_H_
