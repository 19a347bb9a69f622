// cleanup_leftovers() and the removal of one run's objects that teardown()
// shares with it.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "faultline/harness/backend.h"
#include "faultline/nemesis/run_heal.h"
#include "backends/ip_tool.h"
#include "backends/manifest.h"
#include "backends/run_removal.h"
#include "ssh/ssh_remote.h"

namespace faultline::harness {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string netns_prefix(const std::string& run_id) { return "faultline-" + run_id + "-"; }
std::string netns_name(const std::string& run_id, const std::string& node) { return netns_prefix(run_id) + node; }
std::string bridge_name(const std::string& run_id) { return "flb" + run_id; }
std::string veth_name(const std::string& run_id, int index) { return "flv" + run_id + std::to_string(index); }
std::string bridge_alias(const std::string& run_id, const ProcessId& controller) {
  // No spaces: it goes through `ip -batch`, which splits on them.
  return "faultline/run=" + run_id + "/controller=" + controller.str();
}

bool valid_run_id(const std::string& run_id) {
  if (run_id.empty() || run_id.size() > 8) return false;
  return std::all_of(run_id.begin(), run_id.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

namespace {

// A node process found through its environment (FAULTLINE_RUN_ID=...).
struct TaggedProcess {
  ProcessId id;
  std::string run_id;
  std::string controller;  // FAULTLINE_CONTROLLER
  std::string node;
};

std::vector<TaggedProcess> tagged_processes() {
  std::vector<TaggedProcess> found;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return found;
  const pid_t self = ::getpid();
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || pid <= 0 || pid == self) continue;
    std::ifstream in("/proc/" + std::string(e->d_name) + "/environ", std::ios::binary);
    if (!in) continue;
    TaggedProcess t;
    for (std::string var; std::getline(in, var, '\0');) {
      auto value_of = [&](const std::string& name) -> const char* {
        return var.size() > name.size() && var.compare(0, name.size() + 1, name + "=") == 0 ? var.c_str() + name.size() + 1
                                                                                             : nullptr;
      };
      if (const char* v = value_of(kRunIdEnv)) t.run_id = v;
      if (const char* v = value_of(kControllerEnv)) t.controller = v;
      if (const char* v = value_of("FAULTLINE_NODE")) t.node = v;
    }
    if (t.run_id.empty()) continue;
    t.id.pid = static_cast<pid_t>(pid);
    auto start = process_start_time(t.id.pid);
    if (!start) continue;
    t.id.start = *start;
    found.push_back(std::move(t));
  }
  ::closedir(proc);
  return found;
}

// What exists on this machine right now, listed once per cleanup.
struct Machine {
  std::vector<std::string> netns;
  std::vector<LinkInfo> links;
  std::vector<TaggedProcess> processes;
  std::vector<std::string> errors;  // listings that failed

  static Machine scan() {
    Machine m;
    m.processes = tagged_processes();
    // Without iproute2 nobody here can have made namespaces or links (the
    // netns backend needs it); the local backend's runs still get swept.
    if (!process::find_program("ip")) return m;
    try {
      m.netns = list_netns();
    } catch (const std::exception& e) {
      m.errors.push_back(std::string("listing namespaces: ") + e.what());
    }
    try {
      m.links = list_links();
    } catch (const std::exception& e) {
      m.errors.push_back(std::string("listing links: ") + e.what());
    }
    return m;
  }
  bool has_netns(const std::string& name) const { return std::find(netns.begin(), netns.end(), name) != netns.end(); }
  const LinkInfo* link(const std::string& name) const {
    for (const auto& l : links)
      if (l.name == name) return &l;
    return nullptr;
  }
};

bool is_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// SIGKILLs every process of the run and waits for them to be gone.
void kill_processes(const std::string& run_id, const std::optional<ManifestData>& manifest,
                    const std::vector<std::string>& namespaces, const Machine& machine, CleanupReport& report) {
  std::map<pid_t, std::pair<ProcessId, std::string>> victims;  // pid -> identity, description
  const pid_t self = ::getpid();
  auto add = [&](const ProcessId& id, const std::string& what) {
    if (id.pid <= 0 || id.pid == self || victims.count(id.pid) || !process_alive(id)) return;
    victims[id.pid] = {id, what};
  };
  if (manifest) {
    for (const auto& o : manifest->objects)
      if (o.type == "process") add(o.process, "process " + std::to_string(o.process.pid) + " (" + o.name + ")");
  }
  for (const auto& t : machine.processes)
    if (t.run_id == run_id) add(t.id, "process " + std::to_string(t.id.pid) + " (" + (t.node.empty() ? "node" : t.node) + ")");
  for (const auto& ns : namespaces) {
    for (pid_t pid : netns_pids(ns)) {
      auto start = process_start_time(pid);
      if (start) add({pid, *start}, "process " + std::to_string(pid) + " (in " + ns + ")");
    }
  }
  for (auto& [pid, v] : victims) {
    ::kill(pid, SIGKILL);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  for (auto& [pid, v] : victims) {
    while (process_alive(v.first) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (process_alive(v.first)) {
      report.errors.push_back(v.second + ": still alive 5 s after SIGKILL");
    } else {
      report.removed.push_back(v.second);
    }
  }
}

}  // namespace

void remove_run(const std::string& run_id, const std::optional<ManifestData>& manifest, const fs::path& run_state_dir,
                CleanupReport& report) {
  const Machine machine = Machine::scan();
  const std::size_t errors_before = report.errors.size();
  for (const auto& e : machine.errors) report.errors.push_back("run " + run_id + ": " + e);

  // What to remove: the manifest's objects and whatever carries the run's names.
  std::set<std::string> namespaces, veths, dirs;
  std::string bridge;
  if (manifest) {
    for (const auto& o : manifest->objects) {
      if (o.type == "netns" && machine.has_netns(o.name)) namespaces.insert(o.name);
      if (o.type == "veth" && machine.link(o.name)) veths.insert(o.name);
      if (o.type == "bridge" && machine.link(o.name)) bridge = o.name;
      if (o.type == "dir") dirs.insert(o.name);
    }
  }
  for (const auto& ns : machine.netns)
    if (ns.rfind(netns_prefix(run_id), 0) == 0) namespaces.insert(ns);
  const std::string br = bridge_name(run_id);
  if (const LinkInfo* l = machine.link(br); l && l->kind == "bridge") bridge = br;
  const std::string veth_prefix = "flv" + run_id;
  for (const auto& l : machine.links) {
    // Ours for sure when on our bridge; an unattached flv<run><digits> veth is
    // taken as ours too (run ids "ab1" and "ab11" could both claim
    // "flvab112"; a live run's veth is always on its bridge, so only a dead
    // run's stray can be mistaken, and it is garbage either way).
    if (l.kind != "veth") continue;
    if (l.master == br || (l.master.empty() && l.name.rfind(veth_prefix, 0) == 0 &&
                           is_digits(l.name.substr(veth_prefix.size())))) {
      veths.insert(l.name);
    }
  }

  // An ssh run's hosts first (its processes, firewall rules, qdiscs and
  // remote dir); what is on this machine follows as for any run.
  if (manifest && !manifest->ssh.is_null()) remove_ssh_run(run_id, manifest->ssh, report);

  // Paused processes thawed first: a frozen process does not die of SIGKILL.
  for (auto& line : nemesis::heal_local_run(netns_prefix(run_id), &report.errors)) report.removed.push_back(line);
  // Processes first: a namespace with a process in it outlives `ip netns del`.
  kill_processes(run_id, manifest, {namespaces.begin(), namespaces.end()}, machine, report);
  // Host-side veths (their peers inside the namespaces go with them), then
  // the namespaces with everything in them (qdiscs, firewall rules), then the
  // bridge: one `ip -force -batch` (one process, not one per object), then a
  // fresh look at what is really gone.
  std::vector<std::string> batch;
  for (const auto& v : veths) batch.push_back("link del " + v);
  for (const auto& ns : namespaces) batch.push_back("netns del " + ns);
  if (!bridge.empty()) batch.push_back("link del " + bridge);
  if (!batch.empty()) {
    std::string why;
    try {
      auto r = run_ip_batch(batch, fs::temp_directory_path(), "", /*force=*/true);
      if (!r.succeeded()) why = r.describe();
    } catch (const std::exception& e) {
      why = e.what();
    }
    const Machine after = Machine::scan();
    for (const auto& e : after.errors) report.errors.push_back("run " + run_id + ": " + e);
    auto account = [&](const std::string& what, bool still_there) {
      if (still_there) {
        report.errors.push_back(what + ": still there after removal" + (why.empty() ? "" : " (" + why + ")"));
      } else {
        report.removed.push_back(what);
      }
    };
    for (const auto& v : veths) account("veth " + v, after.link(v) != nullptr);
    for (const auto& ns : namespaces) account("netns " + ns, after.has_netns(ns));
    if (!bridge.empty()) account("bridge " + bridge, after.link(bridge) != nullptr);
  }
  for (const auto& d : dirs) {
    std::error_code ec;
    if (!fs::exists(d, ec)) continue;
    fs::remove_all(d, ec);
    if (ec) {
      report.errors.push_back("dir " + d + ": " + ec.message());
    } else {
      report.removed.push_back("dir " + d);
    }
  }
  // The manifest goes last, and only when everything it names is gone, so a
  // later cleanup can retry what failed.
  std::error_code ec;
  if (report.errors.size() == errors_before && !run_state_dir.empty() && fs::exists(run_state_dir, ec)) {
    fs::remove_all(run_state_dir, ec);
    if (ec) {
      report.errors.push_back("state " + run_state_dir.string() + ": " + ec.message());
    } else {
      report.removed.push_back("state " + run_state_dir.string());
    }
  }
  if (report.errors.size() == errors_before) drop_claim(run_id);
}

CleanupReport cleanup_leftovers(const fs::path& state_dir, const std::string& run_id) {
  CleanupReport report;
  if (!run_id.empty() && !valid_run_id(run_id)) {
    report.errors.push_back("run id '" + run_id + "': expected 1-8 characters of [a-z0-9]");
    return report;
  }
  const fs::path dir = state_dir.empty() ? default_state_dir() : state_dir;

  // Every run id with something on this machine: manifests, namespaces,
  // bridges and tagged processes.
  std::set<std::string> runs;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) {
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (e.is_directory() && valid_run_id(name)) runs.insert(name);
    }
  }
  const Machine machine = Machine::scan();
  for (const auto& ns : machine.netns) {
    if (ns.rfind("faultline-", 0) != 0) continue;
    const auto dash = ns.find('-', 10);
    if (dash != std::string::npos && valid_run_id(ns.substr(10, dash - 10))) runs.insert(ns.substr(10, dash - 10));
  }
  std::map<std::string, std::string> bridge_aliases;
  for (const auto& l : machine.links) {
    if (l.kind == "bridge" && l.name.rfind("flb", 0) == 0 && valid_run_id(l.name.substr(3))) {
      runs.insert(l.name.substr(3));
      bridge_aliases[l.name.substr(3)] = l.alias;
    }
  }
  for (const auto& t : machine.processes)
    if (valid_run_id(t.run_id)) runs.insert(t.run_id);
  if (fs::is_directory(claims_dir(), ec)) {
    for (const auto& e : fs::directory_iterator(claims_dir(), ec)) {
      const std::string name = e.path().filename().string();
      if (valid_run_id(name)) runs.insert(name);
    }
  }
  if (!run_id.empty()) runs = runs.count(run_id) ? std::set<std::string>{run_id} : std::set<std::string>{};

  const ProcessId self = self_process_id();
  for (const auto& run : runs) {
    const fs::path run_dir = dir / run;
    std::optional<ManifestData> manifest;
    try {
      manifest = read_manifest(run_dir);
    } catch (const std::exception& e) {
      // Unreadable: still sweep by name, and say so.
      report.errors.push_back("run " + run + ": " + e.what() + " (swept by name instead)");
    }
    // Whose run is it? The manifest says; else the bridge's alias; else a node's environment.
    std::optional<ProcessId> controller;
    if (manifest) controller = manifest->controller;
    if (!controller) controller = read_claim(run);
    if (!controller && bridge_aliases.count(run)) {
      const std::string& alias = bridge_aliases[run];
      const auto pos = alias.rfind("/controller=");
      if (pos != std::string::npos) controller = ProcessId::parse(alias.substr(pos + 12));
    }
    if (!controller) {
      for (const auto& t : machine.processes)
        if (t.run_id == run && (controller = ProcessId::parse(t.controller))) break;
    }
    if (controller && controller->pid != self.pid && process_alive(*controller)) {
      report.skipped.push_back("run " + run + " (controller pid " + std::to_string(controller->pid) + " is running)");
      continue;
    }
    remove_run(run, manifest, run_dir, report);
  }
  return report;
}

}  // namespace faultline::harness
