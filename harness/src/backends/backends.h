// Constructors of the concrete backends, for make_backend(), and the checks
// they share. Private to harness/.
#ifndef FAULTLINE_HARNESS_BACKENDS_H_
#define FAULTLINE_HARNESS_BACKENDS_H_

#include <memory>
#include <string>
#include <vector>

#include "faultline/harness/backend.h"

namespace faultline::harness {

std::unique_ptr<Backend> make_netns_backend(const BackendOptions& options);
std::unique_ptr<Backend> make_local_backend(const BackendOptions& options);
std::unique_ptr<Backend> make_ssh_backend(const BackendOptions& options);

// Throws std::invalid_argument naming the bad node name: empty list, a
// duplicate, more than `max_nodes`, or a name outside [A-Za-z0-9_-] (1-32
// characters; it becomes part of a namespace name and a command line).
void check_node_names(const std::vector<std::string>& names, std::size_t max_nodes);

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_BACKENDS_H_
