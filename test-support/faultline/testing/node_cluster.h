// A real faultline-node cluster for integration tests: one process per node
// (Boost.Process) on loopback ports picked by the kernel, each with its own
// data dir under a temp dir. The destructor SIGKILLs every process, also
// when a test fails half-way (stopped ones are continued first).
#ifndef FAULTLINE_TESTING_NODE_CLUSTER_H_
#define FAULTLINE_TESTING_NODE_CLUSTER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/process.hpp>
#include <nlohmann/json.hpp>

#include "faultline/node/protocol.h"
#include "faultline/node/ring.h"
#include "faultline/testing/free_ports.h"
#include "faultline/testing/test_dir.h"
#include "faultline/testing/paths.h"

namespace faultline::node::testing {

using Json = nlohmann::json;

inline std::vector<int> free_ports(int n) { return faultline::testing::free_loopback_ports(n); }

// One request, one reply, with a deadline; {"ok": false, "error":
// "client_timeout"} if none. A fresh connection per call keeps tests simple.
inline Json rpc(int port, Json request, int timeout_ms = 5000) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return Json{{"ok", false}, {"error", "client_connect"}};
  }
  request["id"] = 1;
  const std::string frame = encode_frame(request);
  if (::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size())) {
    ::close(fd);
    return Json{{"ok", false}, {"error", "client_send"}};
  }
  FrameDecoder decoder(64u << 20);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    decoder.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    if (auto j = decoder.next()) {
      ::close(fd);
      return *j;
    }
  }
  ::close(fd);
  return Json{{"ok", false}, {"error", "client_timeout"}};
}

class Cluster {
 public:
  // `overrides` is merged into every node's config file.
  Cluster(int size, const Json& overrides) : dir_("cluster") {
    ports_ = free_ports(size);
    Json members = Json::array();
    for (int i = 0; i < size; ++i) {
      ids_.push_back("n" + std::to_string(i + 1));
      members.push_back(ids_[i] + "=127.0.0.1:" + std::to_string(ports_[i]));
    }
    for (int i = 0; i < size; ++i) {
      Json c = {{"node_id", ids_[i]},
                {"data_dir", (dir_.path() / ids_[i]).string()},
                {"members", members},
                {"log_level", "debug"}};
      for (auto it = overrides.begin(); it != overrides.end(); ++it) c[it.key()] = it.value();
      const auto file = (dir_.path() / (ids_[i] + ".json")).string();
      std::ofstream(file) << c.dump(2);
      configs_.push_back(file);
    }
    procs_.resize(static_cast<std::size_t>(size));
    for (int i = 0; i < size; ++i) start(i);
    for (int i = 0; i < size; ++i) wait_ready(i);
  }

  ~Cluster() {
    for (auto& p : procs_)
      if (p && p->running()) {
        ::kill(p->id(), SIGCONT);
        std::error_code ec;
        p->terminate(ec);  // SIGKILL
        p->wait(ec);
      }
  }

  void start(int i) {
    const auto out = (dir_.path() / (ids_[i] + ".stderr")).string();
    procs_[i] = std::make_unique<boost::process::child>(
        (faultline::testing::binary_dir() / "node" / "faultline-node").string(), "--config", configs_[i],
        boost::process::std_out > out, boost::process::std_err > out);
  }

  void wait_ready(int i) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (rpc(ports_[i], {{"op", "ping"}}, 500).value("ok", false)) return;
      if (!procs_[i]->running()) throw std::runtime_error(ids_[i] + " exited during start-up");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error(ids_[i] + " did not become ready");
  }

  void kill9(int i) {
    ::kill(procs_[i]->id(), SIGKILL);
    std::error_code ec;
    procs_[i]->wait(ec);
  }
  void pause(int i) { ::kill(procs_[i]->id(), SIGSTOP); }
  void resume(int i) { ::kill(procs_[i]->id(), SIGCONT); }

  Json call(int i, Json request, int timeout_ms = 5000) { return rpc(ports_[i], std::move(request), timeout_ms); }

  int index_of(const std::string& id) const {
    for (std::size_t i = 0; i < ids_.size(); ++i)
      if (ids_[i] == id) return static_cast<int>(i);
    throw std::runtime_error("no node " + id);
  }
  const std::vector<std::string>& ids() const { return ids_; }
  int port(int i) const { return ports_[i]; }
  Ring ring(int vnodes = 64) const { return Ring(ids_, vnodes); }
  std::string log_of(int i) const { return (dir_.path() / ids_[i] / "node.log").string(); }

 private:
  TestDir dir_;
  std::vector<int> ports_;
  std::vector<std::string> ids_;
  std::vector<std::string> configs_;
  std::vector<std::unique_ptr<boost::process::child>> procs_;
};

}  // namespace faultline::node::testing

#endif  // FAULTLINE_TESTING_NODE_CLUSTER_H_
