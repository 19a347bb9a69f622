// What a run's faults were, in a line a person reads at the end of a run:
//
//   6 fault windows: partition ×2, pause, kill, clock bump +37 s, packet loss 20%
//
// Built from the windows' start records (fault name and the parameters its
// start() returned, as the history stores them), so it describes what was
// actually injected, not what was asked for.
#ifndef FAULTLINE_NEMESIS_SUMMARY_H_
#define FAULTLINE_NEMESIS_SUMMARY_H_

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline::nemesis {

// One window in a few words: "partition", "clock bump +37 s", "clock strobe
// ±2.5 s every 120 ms", "packet loss 20%", "packet delay 50 ms", "kill".
// Unknown parameters are left out rather than guessed.
std::string describe_window(const std::string& fault, const nlohmann::json& params);

// "no fault injected", or "N fault window(s): a ×2, b, ..." with identical
// descriptions counted, in order of first appearance.
std::string describe_windows(const std::vector<std::pair<std::string, nlohmann::json>>& starts);

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_SUMMARY_H_
