// Removing one run's objects: the shared core of Backend::teardown() and
// cleanup_leftovers(), so that a clean end and a cleanup after a crash take
// the same path and the same order (processes, then veths and namespaces,
// then the bridge, then files).
//
// Private to harness/.
#ifndef FAULTLINE_HARNESS_RUN_REMOVAL_H_
#define FAULTLINE_HARNESS_RUN_REMOVAL_H_

#include <filesystem>
#include <optional>
#include <string>

#include "faultline/harness/backend.h"
#include "backends/manifest.h"

namespace faultline::harness {

// The names a run's objects get (backend.h's naming scheme).
std::string netns_name(const std::string& run_id, const std::string& node);
std::string netns_prefix(const std::string& run_id);  // "faultline-<run>-"
std::string bridge_name(const std::string& run_id);   // "flb<run>"
std::string veth_name(const std::string& run_id, int index);  // "flv<run><index>"
// The bridge's ifalias, read back by cleanup to tell whether the run's
// controller is still alive when no manifest is at hand.
std::string bridge_alias(const std::string& run_id, const ProcessId& controller);

// True for a valid run id: 1-8 characters of [a-z0-9].
bool valid_run_id(const std::string& run_id);

// Removes everything of `run_id`: what `manifest` names (if given) and what
// the naming scheme finds on this machine; deletes `run_state_dir` if all of
// it went. Appends to `report`.
void remove_run(const std::string& run_id, const std::optional<ManifestData>& manifest,
                const std::filesystem::path& run_state_dir, CleanupReport& report);

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_RUN_REMOVAL_H_
