// `faultline-agent clock-step --delta-ms N --refuse-boot-id ID`: steps this
// host's wall clock (CLOCK_REALTIME) by N ms with clock_settime — the clock
// fault over the ssh backend, where nodes are whole hosts and libfaketime is
// not in play. The controller tracks each host's offset and steps back by
// it to heal.
//
// Safety: the controller passes its own kernel's boot_id; a host whose
// boot_id is the same is the controller's own kernel (a namespace or a
// container of it), and stepping its clock would step the controller's. The
// agent refuses then, whatever the controller checked before.
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include "agent_commands.h"

namespace faultline::nemesis::agent {
namespace {

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  in >> id;
  return id;
}

struct ClockStepFlags {
  long long delta_ms = 0;
  std::string refuse_boot_id;
};

}  // namespace

Command clock_step_command() {
  auto flags = std::make_shared<ClockStepFlags>();
  Command c;
  c.name = "clock-step";
  c.register_flags = [flags](CLI::App& app) {
    auto* sub = app.add_subcommand("clock-step", "step this host's wall clock by an offset");
    sub->add_option("--delta-ms", flags->delta_ms, "milliseconds to add (negative: back)")->required();
    sub->add_option("--refuse-boot-id", flags->refuse_boot_id,
                    "the controller's kernel boot_id: refuse when this host's is the same")
        ->required();
    return sub;
  };
  c.run = [flags] {
    const std::string ours = boot_id();
    if (ours.empty()) throw std::runtime_error("cannot read /proc/sys/kernel/random/boot_id; not stepping the clock");
    if (ours == flags->refuse_boot_id) {
      throw std::runtime_error("this host shares the controller's kernel (boot_id " + ours +
                               "), so its clock is the controller's: refusing to step it");
    }
    timespec now{};
    if (::clock_gettime(CLOCK_REALTIME, &now) != 0) throw std::runtime_error(std::strerror(errno));
    long long ns = static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec + flags->delta_ms * 1000000LL;
    timespec then{};
    then.tv_sec = static_cast<time_t>(ns / 1000000000LL);
    then.tv_nsec = static_cast<long>(ns % 1000000000LL);
    if (then.tv_nsec < 0) {
      then.tv_nsec += 1000000000L;
      then.tv_sec -= 1;
    }
    if (::clock_settime(CLOCK_REALTIME, &then) != 0) {
      throw std::runtime_error(std::string("clock_settime: ") + std::strerror(errno));
    }
    std::printf("stepped %lld ms\n", flags->delta_ms);
    return 0;
  };
  return c;
}

}  // namespace faultline::nemesis::agent
