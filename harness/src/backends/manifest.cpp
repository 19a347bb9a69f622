#include "backends/manifest.h"

#include <fcntl.h>
#include <cerrno>
#include <cstring>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "faultline/harness/backend.h"

namespace faultline::harness {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::optional<ProcessId> ProcessId::parse(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  try {
    ProcessId id;
    id.pid = static_cast<pid_t>(std::stol(text.substr(0, colon)));
    id.start = std::stoull(text.substr(colon + 1));
    if (id.pid <= 0) return std::nullopt;
    return id;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

namespace {

// The fields of /proc/<pid>/stat after the command name (which may contain
// spaces and parentheses, so we split after its last ')').
std::optional<std::vector<std::string>> stat_fields(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

}  // namespace

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto fields = stat_fields(pid);
  // fields[0] is field 3 (state); starttime is field 22.
  if (!fields || fields->size() < 20) return std::nullopt;
  try {
    return std::stoull((*fields)[19]);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool process_alive(const ProcessId& id) {
  auto fields = stat_fields(id.pid);
  if (!fields || fields->size() < 20) return false;
  if ((*fields)[0] == "Z" || (*fields)[0] == "X") return false;
  try {
    return std::stoull((*fields)[19]) == id.start;
  } catch (const std::exception&) {
    return false;
  }
}

ProcessId self_process_id() {
  ProcessId id;
  id.pid = ::getpid();
  id.start = process_start_time(id.pid).value_or(0);
  return id;
}

Json manifest_to_json(const ManifestData& data) {
  Json objects = Json::array();
  for (const auto& o : data.objects) {
    Json j = {{"type", o.type}, {"name", o.name}};
    if (o.type == "process") {
      j["pid"] = o.process.pid;
      j["start"] = o.process.start;
    }
    objects.push_back(std::move(j));
  }
  Json out{{"schema", 1},
           {"run_id", data.run_id},
           {"kind", data.kind},
           {"controller", {{"pid", data.controller.pid}, {"start", data.controller.start}}},
           {"subnet", data.subnet},
           {"objects", objects}};
  if (!data.ssh.is_null()) out["ssh"] = data.ssh;
  return out;
}

ManifestData manifest_from_json(const Json& json) {
  ManifestData d;
  try {
    d.run_id = json.at("run_id").get<std::string>();
    d.kind = json.at("kind").get<std::string>();
    d.controller.pid = json.at("controller").at("pid").get<pid_t>();
    d.controller.start = json.at("controller").at("start").get<std::uint64_t>();
    d.subnet = json.value("subnet", "");
    if (json.contains("ssh")) d.ssh = json.at("ssh");
    for (const auto& j : json.at("objects")) {
      ManifestObject o;
      o.type = j.at("type").get<std::string>();
      o.name = j.at("name").get<std::string>();
      if (o.type == "process") {
        o.process.pid = j.at("pid").get<pid_t>();
        o.process.start = j.at("start").get<std::uint64_t>();
      }
      d.objects.push_back(std::move(o));
    }
  } catch (const Json::exception& e) {
    throw std::runtime_error(std::string("malformed manifest: ") + e.what());
  }
  return d;
}

std::optional<ManifestData> read_manifest(const fs::path& run_dir) {
  const fs::path file = run_dir / "manifest.json";
  std::ifstream in(file);
  if (!in) {
    if (!fs::exists(file)) return std::nullopt;
    throw std::runtime_error("cannot read " + file.string());
  }
  try {
    return manifest_from_json(Json::parse(in));
  } catch (const std::exception& e) {
    throw std::runtime_error(file.string() + ": " + e.what());
  }
}

fs::path claims_dir() {
  if (::geteuid() == 0) return "/run/faultline-claims";
  return fs::temp_directory_path() / ("faultline-claims-" + std::to_string(::geteuid()));
}

std::optional<ProcessId> read_claim(const std::string& run_id) {
  std::ifstream in(claims_dir() / run_id);
  std::string text;
  if (!in || !std::getline(in, text)) return std::nullopt;
  return ProcessId::parse(text);
}

void drop_claim(const std::string& run_id) {
  std::error_code ec;
  fs::remove(claims_dir() / run_id, ec);
}

namespace {

// Takes the claim, replacing one whose controller is dead.
void take_claim(const std::string& run_id, const ProcessId& self) {
  std::error_code ec;
  fs::create_directories(claims_dir(), ec);
  const fs::path path = claims_dir() / run_id;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      const std::string text = self.str() + "\n";
      const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      ::close(fd);
      if (!ok) throw BackendError("run " + run_id + ": cannot write claim " + path.string());
      return;
    }
    if (errno != EEXIST) {
      throw BackendError("run " + run_id + ": cannot create claim " + path.string() + ": " + std::strerror(errno));
    }
    auto owner = read_claim(run_id);
    if (owner && process_alive(*owner)) {
      throw BackendError("run " + run_id + ": run id in use by the controller with pid " + std::to_string(owner->pid));
    }
    fs::remove(path, ec);  // stale: its controller is gone
  }
  throw BackendError("run " + run_id + ": cannot claim the run id at " + path.string());
}

}  // namespace

Manifest::Manifest(const fs::path& state_dir, const std::string& run_id, const std::string& kind)
    : dir_(state_dir / run_id) {
  data_.run_id = run_id;
  data_.kind = kind;
  data_.controller = self_process_id();
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw BackendError("run " + run_id + ": cannot create state directory " + dir_.string() + ": " + ec.message());
  std::optional<ManifestData> old;
  try {
    old = read_manifest(dir_);
  } catch (const std::exception& e) {
    throw BackendError("run " + run_id + ": " + e.what() + " (remove it with `faultline cleanup --run " + run_id + "`)");
  }
  if (old) {
    const bool live = process_alive(old->controller);
    throw BackendError("run " + run_id + ": " + file().string() + " already exists (" +
                       (live ? "its controller, pid " + std::to_string(old->controller.pid) + ", is running"
                             : "left by a controller that died; run `faultline cleanup --run " + run_id + "`") +
                       ")");
  }
  take_claim(run_id, data_.controller);
  std::lock_guard lock(mu_);
  write_locked();
}

void Manifest::write_locked() {
  if (erased_) return;
  const fs::path tmp = dir_ / "manifest.json.tmp";
  const std::string text = manifest_to_json(data_).dump(2) + "\n";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw BackendError("run " + data_.run_id + ": cannot write " + tmp.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      throw BackendError("run " + data_.run_id + ": cannot write " + tmp.string() + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  // The manifest must be on disk before the object it names exists.
  ::fsync(fd);
  ::close(fd);
  std::error_code ec;
  fs::rename(tmp, file(), ec);
  if (ec) throw BackendError("run " + data_.run_id + ": cannot rename " + tmp.string() + ": " + ec.message());
}

void Manifest::set_subnet(const std::string& subnet) {
  std::lock_guard lock(mu_);
  data_.subnet = subnet;
  write_locked();
}

void Manifest::set_ssh(const nlohmann::json& ssh) {
  std::lock_guard lock(mu_);
  data_.ssh = ssh;
  write_locked();
}

void Manifest::add(const ManifestObject& object) {
  std::lock_guard lock(mu_);
  data_.objects.push_back(object);
  write_locked();
}

void Manifest::add_all(const std::vector<ManifestObject>& objects) {
  std::lock_guard lock(mu_);
  data_.objects.insert(data_.objects.end(), objects.begin(), objects.end());
  write_locked();
}

void Manifest::remove(const ManifestObject& object) {
  std::lock_guard lock(mu_);
  std::erase_if(data_.objects, [&](const ManifestObject& o) {
    return o.type == object.type && o.name == object.name &&
           (o.type != "process" || o.process.pid == object.process.pid);
  });
  write_locked();
}

ManifestData Manifest::snapshot() const {
  std::lock_guard lock(mu_);
  return data_;
}

void Manifest::erase() {
  std::lock_guard lock(mu_);
  erased_ = true;
  std::error_code ec;
  fs::remove_all(dir_, ec);
  drop_claim(data_.run_id);
}

}  // namespace faultline::harness
