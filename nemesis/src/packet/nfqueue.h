// A netfilter queue (NFQUEUE) bound through libnl-nf: packets matched by an
// `-j NFQUEUE --queue-num N` rule (or nft `queue num N`) are handed to this
// process, which must give each a verdict — accept it later for delay, out of
// order for reorder, drop it for loss. The userspace shaper of kernels
// without sch_netem is built on this.
#ifndef FAULTLINE_NEMESIS_NFQUEUE_H_
#define FAULTLINE_NEMESIS_NFQUEUE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "faultline/process/status.h"

struct nl_sock;

namespace faultline::nemesis {

struct QueuedPacket {
  std::uint32_t id = 0;     // the kernel's packet id, for the verdict
  std::uint16_t queue = 0;
  std::uint8_t family = 0;  // AF_INET / AF_INET6
  std::string payload;      // the network-layer packet (IP header first)
};

enum class Verdict { accept, drop };

class NfQueue {
 public:
  NfQueue() = default;
  ~NfQueue();
  NfQueue(const NfQueue&) = delete;
  NfQueue& operator=(const NfQueue&) = delete;

  // Binds queue `number` for IPv4 with whole-packet copies.
  process::Status open(std::uint16_t number);
  // Asks the kernel to accept (instead of drop) packets it cannot hand to
  // this process — queue longer than `max_len`, or our socket's receive
  // buffer full (ENOBUFS) — so an overloaded shaper degrades to "unshaped",
  // never to a black hole. Call after open(), before traffic is queued.
  process::Status set_fail_open(std::uint32_t max_len);
  // Removes the binding; queued packets without verdict are dropped by the kernel.
  void close();

  int fd() const;
  // Waits up to `timeout` and returns the packets that arrived (may be empty),
  // at most `max_batch` of them: everything already waiting is drained
  // without blocking again. An overrun of the receive buffer (ENOBUFS: the
  // kernel had more for us than fitted) is reported through `overrun`, not as
  // an error — the socket stays usable and, with fail-open, the kernel
  // accepted what it could not deliver.
  std::vector<QueuedPacket> receive(std::chrono::milliseconds timeout, process::Status* status = nullptr,
                                    bool* overrun = nullptr, std::size_t max_batch = 256);
  process::Status verdict(const QueuedPacket& packet, Verdict verdict);
  // Many verdicts in one sendmsg (a loop iteration's worth), in order: under
  // load this halves the shaper's system calls per packet.
  process::Status verdicts(const std::vector<std::pair<const QueuedPacket*, Verdict>>& batch);
  // Accepts the packet with `payload` (same length or not) in place of the
  // original, for corruption.
  process::Status verdict_with_payload(const QueuedPacket& packet, const std::string& payload);

 private:
  nl_sock* sock_ = nullptr;
  std::uint16_t number_ = 0;
  bool bound_ = false;
};

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_NFQUEUE_H_
