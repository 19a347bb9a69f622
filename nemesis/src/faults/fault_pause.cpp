// pause: a GC-like stop of whole node processes. The cgroup freezer where
// the machine has one (the process cannot tell, its parent sees no stop),
// else SIGSTOP/SIGCONT. Durations are drawn around the store's suspicion
// timeout, so some pauses outlast it and provoke false failure detections
// on purpose.
#include <map>

#include "freezer.h"
#include "faults/faults.h"

namespace faultline::nemesis {
using process::Status;
namespace {

class PauseFault final : public Fault {
 public:
  PauseFault(NodeControl& control, const NemesisOptions& options)
      : control_(control),
        options_(options),
        hierarchy_(options.local_processes ? find_freezer_hierarchy() : std::nullopt) {}

  std::string name() const override { return "pause"; }

  FaultWindow start(std::mt19937_64& rng) override {
    FaultWindow w;
    w.nodes = select_targets(node_names(control_), pick(options_.targets, rng), rng);
    try {
      for (const auto& node : w.nodes) pause(node);
    } catch (...) {
      heal_all();
      throw;
    }
    w.params = {{"mechanism", mechanism_}};
    return w;
  }

  std::chrono::milliseconds hold(std::mt19937_64& rng, std::chrono::milliseconds) override {
    const double t = static_cast<double>(options_.suspicion_timeout.count());
    return std::chrono::milliseconds(static_cast<long>(uniform(rng, 0.5 * t, 2.0 * t)));
  }

  nlohmann::json stop() override {
    std::vector<std::string> errors;
    resume_all(errors);
    if (!errors.empty()) throw FaultError(errors.front());
    return nlohmann::json::object();
  }

  std::vector<std::string> heal_all() override {
    std::vector<std::string> errors;
    resume_all(errors);
    // A SIGSTOP from anywhere (a crashed window, a person) is healed too.
    for (const auto& node : node_names(control_)) {
      try {
        if (control_.running(node)) control_.sigcont(node);
      } catch (const std::exception& e) {
        errors.push_back("resuming " + node + ": " + e.what());
      }
    }
    return errors;
  }

 private:
  void pause(const std::string& node) {
    const pid_t pid = control_.pid(node);
    if (pid <= 0) return;  // not running (killed): nothing to pause
    if (hierarchy_ && use_freezer_) {
      auto group = std::make_unique<FreezerCgroup>();
      Status st = group->create(*hierarchy_, "faultline-" + options_.run_id + "-" + node);
      if (st) st = group->add(pid);
      if (st) st = group->freeze();
      if (st) {
        frozen_[node] = std::move(group);
        mechanism_ = "freezer";
        return;
      }
      // The freezer refused (cgroup v2 without cgroup.freeze, a container):
      // fall back to signals for the rest of the run, and say so once.
      use_freezer_ = false;
      options_.log("pause: the cgroup freezer failed (" + st.error + "); using SIGSTOP/SIGCONT");
      if (group->path().size()) {
        group->release_all();
        group->destroy();
      }
    }
    control_.sigstop(node);
    stopped_.push_back(node);
    mechanism_ = "sigstop";
  }

  void resume_all(std::vector<std::string>& errors) {
    for (auto& [node, group] : frozen_) {
      Status st = group->thaw();
      if (st) st = group->release_all();
      if (st) st = group->destroy();
      if (!st) errors.push_back("thawing " + node + ": " + st.error);
    }
    frozen_.clear();
    for (const auto& node : stopped_) {
      try {
        control_.sigcont(node);
      } catch (const std::exception& e) {
        errors.push_back("resuming " + node + ": " + e.what());
      }
    }
    stopped_.clear();
  }

  NodeControl& control_;
  NemesisOptions options_;
  std::optional<FreezerHierarchy> hierarchy_;
  bool use_freezer_ = true;
  std::string mechanism_ = hierarchy_ ? "freezer" : "sigstop";
  std::map<std::string, std::unique_ptr<FreezerCgroup>> frozen_;
  std::vector<std::string> stopped_;
};

}  // namespace

std::unique_ptr<Fault> make_pause_fault(NodeControl& control, const NemesisOptions& options) {
  return std::make_unique<PauseFault>(control, options);
}

}  // namespace faultline::nemesis
