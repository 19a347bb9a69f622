// Step 4 of a run: heal every fault, give the cluster its recovery time,
// then the final reads (what a lost write would have to show up in).
#include <thread>

#include "run/run_state.h"

namespace faultline::harness {

void run_final_phase(RunState& s) {
  if (s.nemesis) {
    // Heal everything, then give the cluster the recovery time before the
    // final reads; a fault-free run does not wait.
    const auto heal_start = Clock::now();
    const std::vector<std::string> heal_errors = s.nemesis->heal();
    s.timings["heal_s"] = seconds_since(heal_start);
    s.nemesis_summary = {{"windows", s.nemesis->windows()},
                         {"start_failures", s.nemesis->start_failures()},
                         {"heal_errors", heal_errors}};
    if (!heal_errors.empty()) throw std::runtime_error("healing faults: " + heal_errors.front());
  }
  if (!s.interrupted) {
    if (s.faults && s.config.recovery_s > 0) {
      const auto until = Clock::now() + std::chrono::milliseconds(static_cast<long>(s.config.recovery_s * 1000));
      while (Clock::now() < until && !signalled()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const auto final_start = Clock::now();
    const auto final_deadline = final_start + std::chrono::seconds(30) + 3 * s.workload_options.op_timeout;
    const bool finished = run_bounded([&] { s.workload->final_phase(*s.writer, s.stats, final_deadline); },
                                      final_deadline + std::chrono::seconds(10), [&] { s.forward_signal(); });
    if (!finished) throw StepTimeout("the final phase did not finish within its deadline");
    s.timings["final_phase_s"] = seconds_since(final_start);
  }
  s.writer->close();
}

}  // namespace faultline::harness
