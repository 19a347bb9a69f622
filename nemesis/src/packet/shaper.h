// The NFQUEUE userspace packet shaper: packet faults on kernels without
// sch_netem. In the caller's network namespace it installs one rule per
// targeted IPv4 destination sending that traffic (locally generated, the
// OUTPUT hook) to NFQUEUE queue N, and gives each packet the verdict the
// ShapeSchedule decided: drop (loss), accept now, accept later (delay,
// jitter, rate), accept now while others wait (reorder), accept with one bit
// flipped (corrupt); a duplicate is a copy of the accepted packet sent
// through a raw socket, marked so the rules let it pass unqueued.
//
// Safety: the rule says `bypass` (iptables: --queue-bypass) and the queue is
// fail-open, so a dead or overloaded shaper lets traffic through unshaped
// instead of black-holing it; stop() removes the rules and accepts every
// held packet.
#ifndef FAULTLINE_NEMESIS_SHAPER_H_
#define FAULTLINE_NEMESIS_SHAPER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "packet/shape_schedule.h"
#include "faultline/process/status.h"

namespace faultline::nemesis {

// Which tool installs the NFQUEUE rules. automatic: nft, else iptables.
enum class ShapeRules { automatic, nft, iptables };

std::string_view shape_rules_name(ShapeRules rules);

// The packet mark (SO_MARK) of the shaper's duplicate copies; the rules
// skip marked packets, so a copy is never queued (and copied) again.
inline constexpr std::uint32_t kShaperCopyMark = 0x464c5350;  // "FLSP"

// The nft table (table ip <name>) or iptables chain (filter <name>) of queue
// `queue`; one per shaper, so cleanup can find it by name.
std::string shape_rules_name_for_queue(std::uint16_t queue);

// Removes queue `queue`'s rules, whichever tool installed them, in the
// caller's namespace: for cleanup after a shaper was killed (its rules then
// stay behind, harmless thanks to bypass, until removed). Succeeds when there
// was nothing to remove.
process::Status remove_shape_rules(std::uint16_t queue);

struct ShaperOptions {
  std::uint16_t queue = 0;
  std::vector<std::string> destinations;  // dotted IPv4 addresses
  ShapeParams params;
  std::uint64_t seed = 0;
  ShapeRules rules = ShapeRules::automatic;
  // Kernel-side queue length before fail-open acceptance; above the
  // schedule's limit so that limit (netem-like tail drop) acts first.
  std::uint32_t kernel_queue_max = 8192;
};

struct ShaperStats {
  std::uint64_t seen = 0;         // packets received from the queue
  std::uint64_t passed = 0;       // accepted at once, unshaped
  std::uint64_t delayed = 0;      // held, then accepted
  std::uint64_t dropped = 0;      // dropped by the loss fault
  std::uint64_t overflow = 0;     // dropped because `limit` packets were held
  std::uint64_t reordered = 0;    // released at once by the reorder fault
  std::uint64_t corrupted = 0;    // accepted with a bit flipped
  std::uint64_t duplicated = 0;   // copies sent beside the original
  std::uint64_t overruns = 0;     // receive-buffer overruns (kernel accepted unshaped)
  std::uint64_t verdict_errors = 0;    // verdicts not sent, or refused by the kernel
  std::uint64_t released_at_stop = 0;  // held packets accepted early by stop()

  std::string describe() const;  // "seen=.. delayed=.. dropped=.. ..."
};

class Shaper {
 public:
  Shaper();
  ~Shaper();  // stop()s
  Shaper(const Shaper&) = delete;
  Shaper& operator=(const Shaper&) = delete;

  // Validates, binds the queue (fail-open), then installs the rules. On
  // failure nothing is left installed.
  process::Status start(const ShaperOptions& options);
  // Shapes until `should_stop` returns true (checked at least every 20 ms) or
  // `deadline` passes. Fails only if the queue itself fails.
  process::Status run(const std::function<bool()>& should_stop, ShapeClock::time_point deadline = ShapeClock::time_point::max());
  // Removes the rules, accepts every held packet (and any still queued),
  // unbinds. Idempotent.
  process::Status stop();

  // The tool that installed the rules (nft or iptables), once started.
  ShapeRules rules_used() const;
  const ShaperStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_SHAPER_H_
