// "host:port" as the clients take it. Private to workloads/.
#ifndef FAULTLINE_WORKLOADS_HOST_PORT_H_
#define FAULTLINE_WORKLOADS_HOST_PORT_H_

#include <stdexcept>
#include <string>
#include <utility>

namespace faultline::workloads {

// Splits at the last colon (so an IPv6 literal keeps its colons); throws
// std::invalid_argument saying which `what` ("node address", ...) is malformed.
inline std::pair<std::string, std::string> split_host_port(const std::string& address, const std::string& what) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size())
    throw std::invalid_argument(what + " '" + address + "' is not host:port");
  return {address.substr(0, colon), address.substr(colon + 1)};
}

}  // namespace faultline::workloads

#endif  // FAULTLINE_WORKLOADS_HOST_PORT_H_
