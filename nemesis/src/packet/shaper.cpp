#include "packet/shaper.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "packet/nfqueue.h"
#include "packet/shape_rules.h"

namespace faultline::nemesis {
using process::Status;
namespace {

using namespace std::chrono_literals;

// How long the loop may sleep before it looks at should_stop again.
constexpr auto kStopCheck = 20ms;

struct HeldPacket {
  QueuedPacket packet;
  bool corrupt = false;
  std::uint64_t corrupt_bit = 0;
  bool duplicate = false;
};

// A raw IPv4 socket whose packets carry kShaperCopyMark: duplicates are
// sent through it, header included, and the rules let them pass.
int open_copy_socket(Status* status) {
  int fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);  // IPPROTO_RAW implies IP_HDRINCL
  if (fd < 0) {
    *status = Status::failure(std::string("raw socket for duplicates: ") + std::strerror(errno));
    return -1;
  }
  std::uint32_t mark = kShaperCopyMark;
  if (::setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
    *status = Status::failure(std::string("SO_MARK on the duplicates' socket: ") + std::strerror(errno));
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_copy(int fd, const std::string& packet) {
  if (fd < 0 || packet.size() < 20) return false;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  std::memcpy(&to.sin_addr, packet.data() + 16, 4);  // the IPv4 destination
  return ::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
         static_cast<ssize_t>(packet.size());
}

// Flips one bit after the IP header, so the packet still goes where it was
// going (a flipped destination would be rerouted by the kernel) but its
// transport checksum no longer matches: the receiver drops it, as with netem.
bool flip_bit_after_ip_header(std::string& payload, std::uint64_t bit) {
  if (payload.empty()) return false;
  std::size_t header = static_cast<std::size_t>(static_cast<unsigned char>(payload[0]) & 0x0f) * 4;
  if (payload.size() <= header) return false;
  std::size_t bits = (payload.size() - header) * 8;
  std::size_t at = static_cast<std::size_t>(bit % bits);
  payload[header + at / 8] = static_cast<char>(payload[header + at / 8] ^ (1u << (at % 8)));
  return true;
}

}  // namespace

std::string ShaperStats::describe() const {
  return "seen=" + std::to_string(seen) + " passed=" + std::to_string(passed) + " delayed=" + std::to_string(delayed) +
         " dropped=" + std::to_string(dropped) + " reordered=" + std::to_string(reordered) +
         " corrupted=" + std::to_string(corrupted) + " duplicated=" + std::to_string(duplicated) +
         " overflow=" + std::to_string(overflow) +
         " overruns=" + std::to_string(overruns) + " verdict_errors=" + std::to_string(verdict_errors) +
         " released_at_stop=" + std::to_string(released_at_stop);
}

struct Shaper::Impl {
  ShaperOptions options;
  NfQueue queue;
  std::unique_ptr<ShapeSchedule> schedule;
  std::unordered_map<std::uint64_t, HeldPacket> held;
  std::uint64_t next_key = 0;
  ShapeRules used = ShapeRules::automatic;
  bool rules_installed = false;
  bool started = false;
  int copy_fd = -1;  // raw socket for duplicates, when asked for
  ShaperStats stats;

  void close_copy_socket() {
    if (copy_fd >= 0) ::close(copy_fd);
    copy_fd = -1;
  }

  // Plain verdicts of this loop iteration, sent together by flush(); the
  // packets they name stay alive in `pending_packets` until then.
  std::vector<HeldPacket> pending_packets;
  std::vector<std::uint8_t> pending_drop;

  void accept(HeldPacket&& h) {
    if (h.corrupt) {
      // A rewritten payload needs its own message; keep the order of what
      // came before it.
      flush();
      std::string payload = h.packet.payload;
      // A packet with nothing after its IP header is accepted unchanged.
      bool flipped = flip_bit_after_ip_header(payload, h.corrupt_bit);
      Status st = flipped ? queue.verdict_with_payload(h.packet, payload) : queue.verdict(h.packet, Verdict::accept);
      if (!st) {
        ++stats.verdict_errors;
      } else if (flipped) {
        ++stats.corrupted;
      }
      if (h.duplicate) send_duplicate(h);
      return;
    }
    pending_packets.push_back(std::move(h));
    pending_drop.push_back(0);
  }

  void drop(HeldPacket&& h) {
    pending_packets.push_back(std::move(h));
    pending_drop.push_back(1);
  }

  // After the original's verdict, so the copy follows it onto the wire; the
  // copy is of the packet as sent (netem also copies before corrupting).
  void send_duplicate(const HeldPacket& h) {
    if (send_copy(copy_fd, h.packet.payload)) {
      ++stats.duplicated;
    } else {
      ++stats.verdict_errors;
    }
  }

  void flush() {
    if (pending_packets.empty()) return;
    std::vector<std::pair<const QueuedPacket*, Verdict>> batch;
    batch.reserve(pending_packets.size());
    for (std::size_t i = 0; i < pending_packets.size(); ++i) {
      batch.emplace_back(&pending_packets[i].packet, pending_drop[i] ? Verdict::drop : Verdict::accept);
    }
    if (!queue.verdicts(batch)) stats.verdict_errors += batch.size();
    for (std::size_t i = 0; i < pending_packets.size(); ++i) {
      if (!pending_drop[i] && pending_packets[i].duplicate) send_duplicate(pending_packets[i]);
    }
    pending_packets.clear();
    pending_drop.clear();
  }

  void release(const std::vector<std::uint64_t>& keys, std::uint64_t* counter) {
    for (std::uint64_t key : keys) {
      auto it = held.find(key);
      if (it == held.end()) continue;
      accept(std::move(it->second));
      ++*counter;
      held.erase(it);
    }
  }

  void handle(QueuedPacket&& packet) {
    ++stats.seen;
    std::uint64_t key = next_key++;
    ShapeDecision d = schedule->admit(key, ShapeClock::now(), packet.payload.size());
    HeldPacket h{std::move(packet), d.corrupt, d.corrupt_bit, d.duplicate};
    switch (d.action) {
      case ShapeAction::drop:
        drop(std::move(h));
        ++(d.overflow ? stats.overflow : stats.dropped);
        break;
      case ShapeAction::accept_now:
        accept(std::move(h));
        ++(d.reordered ? stats.reordered : stats.passed);
        break;
      case ShapeAction::hold:
        held.emplace(key, std::move(h));
        break;
    }
  }
};

Shaper::Shaper() : impl_(std::make_unique<Impl>()) {}
Shaper::~Shaper() { (void)stop(); }

ShapeRules Shaper::rules_used() const { return impl_->used; }
const ShaperStats& Shaper::stats() const { return impl_->stats; }

Status Shaper::start(const ShaperOptions& options) {
  if (impl_->started) return Status::failure("shaper already started");
  if (Status st = validate_shape_params(options.params); !st) return st;
  if (options.destinations.empty()) return Status::failure("--dst: at least one destination address is needed");
  std::vector<std::string> destinations;
  for (const auto& dst : options.destinations) {
    in_addr addr{};
    if (::inet_pton(AF_INET, dst.c_str(), &addr) != 1) {
      return Status::failure("--dst: '" + dst + "' is not an IPv4 address (dotted quad, e.g. 10.0.0.2)");
    }
    char canonical[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &addr, canonical, sizeof canonical);
    if (std::find(destinations.begin(), destinations.end(), canonical) == destinations.end()) {
      destinations.emplace_back(canonical);
    }
  }
  impl_->options = options;
  impl_->options.destinations = destinations;
  impl_->stats = {};
  impl_->schedule = std::make_unique<ShapeSchedule>(options.params, options.seed);

  // Bind first, rules second: a rule that queues to an unbound queue would
  // only be bypassed, but this way the first packet is already shaped.
  if (options.params.duplicate > 0) {
    Status st;
    impl_->copy_fd = open_copy_socket(&st);
    if (!st) return st;
  }
  if (Status st = impl_->queue.open(options.queue); !st) {
    impl_->close_copy_socket();
    return st;
  }
  if (Status st = impl_->queue.set_fail_open(options.kernel_queue_max); !st) {
    impl_->queue.close();
    impl_->close_copy_socket();
    return st;
  }
  if (Status st = detail::install_shape_rules(options.rules, options.queue, destinations, &impl_->used); !st) {
    impl_->queue.close();
    impl_->close_copy_socket();
    return st;
  }
  impl_->rules_installed = true;
  impl_->started = true;
  return Status::success();
}

Status Shaper::run(const std::function<bool()>& should_stop, ShapeClock::time_point deadline) {
  if (!impl_->started) return Status::failure("shaper not started");
  Impl& s = *impl_;
  int failures_in_a_row = 0;
  while (!should_stop()) {
    ShapeClock::time_point now = ShapeClock::now();
    if (now >= deadline) break;
    s.release(s.schedule->take_due(now), &s.stats.delayed);
    s.flush();  // every verdict decided so far leaves before we sleep

    ShapeClock::time_point wake = std::min(now + kStopCheck, deadline);
    if (auto due = s.schedule->next_due(); due && *due < wake) wake = *due;
    auto wait = std::max(ShapeClock::duration::zero(), wake - now);
    timespec ts{static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(wait).count()),
                static_cast<long>((wait % 1s) / 1ns)};
    pollfd pfd{s.queue.fd(), POLLIN, 0};
    int rc = ::ppoll(&pfd, 1, &ts, nullptr);
    if (rc < 0 && errno != EINTR) return Status::failure(std::string("poll on NFQUEUE: ") + std::strerror(errno));
    if (rc <= 0) continue;
    Status st;
    bool overrun = false;
    std::vector<QueuedPacket> packets = s.queue.receive(0ms, &st, &overrun);
    if (overrun) ++s.stats.overruns;
    for (auto& p : packets) s.handle(std::move(p));
    s.flush();
    if (st) {
      failures_in_a_row = 0;
      continue;
    }
    // The kernel answers a failed verdict with an error on this socket (a
    // packet it already flushed, e.g. when its device went down): count it
    // and go on. Only a socket that keeps failing is fatal.
    ++s.stats.verdict_errors;
    if (packets.empty() && ++failures_in_a_row >= 100) return st;
  }
  return Status::success();
}

Status Shaper::stop() {
  Impl& s = *impl_;
  if (!s.started) return Status::success();
  s.started = false;
  Status result = Status::success();
  // Rules first, so no new packet is queued; then everything held and
  // anything that was queued meanwhile is accepted; then unbind.
  if (s.rules_installed) {
    result = detail::remove_shape_rules_with(s.used, s.options.queue);
    s.rules_installed = !result.ok;
  }
  s.flush();
  s.release(s.schedule->take_all(), &s.stats.released_at_stop);
  s.flush();
  for (int round = 0; round < 64; ++round) {
    std::vector<QueuedPacket> late = s.queue.receive(round == 0 ? 10ms : 0ms);
    if (late.empty()) break;
    for (auto& p : late) {
      ++s.stats.seen;
      if (s.queue.verdict(p, Verdict::accept)) {
        ++s.stats.released_at_stop;
      } else {
        ++s.stats.verdict_errors;
      }
    }
  }
  s.held.clear();
  s.queue.close();
  s.close_copy_socket();
  return result;
}

}  // namespace faultline::nemesis
