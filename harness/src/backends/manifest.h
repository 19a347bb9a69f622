// The record a backend keeps of what it created, so that another process
// (`faultline cleanup`) can remove it after the controller died.
//
// <state_dir>/<run_id>/manifest.json, rewritten whole and atomically (write a
// temp file, fsync, rename) *before* each object is created, so that a crash
// at any point leaves a manifest that names at least everything that exists.
// Processes are recorded with their /proc start time, so a recycled pid is
// never taken for a node.
//
// Private to harness/ (backends and cleanup).
#ifndef FAULTLINE_HARNESS_MANIFEST_H_
#define FAULTLINE_HARNESS_MANIFEST_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace faultline::harness {

// The environment variables every node process carries, so a sweep through
// /proc finds nodes whose pid never reached a manifest.
inline constexpr const char* kRunIdEnv = "FAULTLINE_RUN_ID";
inline constexpr const char* kControllerEnv = "FAULTLINE_CONTROLLER";  // "<pid>:<start time>"

// A process identity that survives pid reuse: pid plus start time in clock
// ticks since boot (field 22 of /proc/<pid>/stat).
struct ProcessId {
  pid_t pid = -1;
  std::uint64_t start = 0;
  std::string str() const { return std::to_string(pid) + ":" + std::to_string(start); }
  static std::optional<ProcessId> parse(const std::string& text);
};

// Start time of `pid`, or nullopt if there is no such process.
std::optional<std::uint64_t> process_start_time(pid_t pid);
// True if `id` names a process that still exists (and is not a zombie).
bool process_alive(const ProcessId& id);
// This process.
ProcessId self_process_id();

// One created object. type: "netns" | "bridge" | "veth" | "process" | "dir" | "nft_table".
struct ManifestObject {
  std::string type;
  std::string name;    // netns/link/table name, or the node of a process, or a path
  ProcessId process;   // type == "process"
};

struct ManifestData {
  std::string run_id;
  std::string kind;          // backend kind
  ProcessId controller;      // the process that created the run
  std::string subnet;        // netns: "10.x.y.0/24"
  // ssh: how to reach the run's hosts again after a controller crash (user,
  // port, key, control and remote dirs, the hosts); null for other kinds.
  nlohmann::json ssh;
  std::vector<ManifestObject> objects;
};

nlohmann::json manifest_to_json(const ManifestData& data);
// Throws std::runtime_error naming the field on malformed input.
ManifestData manifest_from_json(const nlohmann::json& json);

// A run's manifest on disk. Thread-safe.
class Manifest {
 public:
  // Creates <state_dir>/<run_id>/ and writes an empty manifest; throws
  // BackendError if the directory cannot be made or the run id is taken by a
  // live controller.
  Manifest(const std::filesystem::path& state_dir, const std::string& run_id, const std::string& kind);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path file() const { return dir_ / "manifest.json"; }

  void set_subnet(const std::string& subnet);
  void set_ssh(const nlohmann::json& ssh);
  void add(const ManifestObject& object);
  void add_all(const std::vector<ManifestObject>& objects);  // one write for many
  // Removes the entries equal in type and name (and pid for processes).
  void remove(const ManifestObject& object);
  ManifestData snapshot() const;
  // Deletes the run's directory (manifest and all): the run is gone.
  void erase();

 private:
  void write_locked();

  mutable std::mutex mu_;
  std::filesystem::path dir_;
  ManifestData data_;
  bool erased_ = false;
};

// A machine-wide claim on a run id, whatever the state dir: <claims>/<run_id>
// holds the controller's "<pid>:<start>". Taken (O_EXCL) before anything of
// the run exists and dropped after everything is gone, so a cleanup working
// from another state dir still knows that a run is alive, even in the instant
// between creating a link and labelling it.
std::filesystem::path claims_dir();  // /run/faultline-claims (root) or /tmp/faultline-claims-<uid>
std::optional<ProcessId> read_claim(const std::string& run_id);
void drop_claim(const std::string& run_id);

// Reads <dir>/manifest.json; nullopt if absent, throws std::runtime_error if unreadable.
std::optional<ManifestData> read_manifest(const std::filesystem::path& run_dir);

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_MANIFEST_H_
