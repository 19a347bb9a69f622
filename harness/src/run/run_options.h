// `faultline run`'s options, described once. Each entry names the flag, its
// key in config.json, the RunConfig field, the help line, the allowed range
// and whether a replay of the run repeats it; the CLI flags, the range
// checks, config.json and the replay command are all derived from this
// table. A new flag is one entry (run_options.cpp) plus its field
// (runner.h) plus its use.
//
// Checks that span several options or probe the machine (backend and root,
// presets and store options, the nemesis against this kernel, ssh hosts)
// stay in validate() (run_config.cpp).
#ifndef FAULTLINE_HARNESS_SRC_RUN_OPTIONS_H_
#define FAULTLINE_HARNESS_SRC_RUN_OPTIONS_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/harness/runner.h"

namespace faultline::harness {

// When a replay of a stored run passes the option again.
enum class Replay {
  kNo,          // specific to where or how this run ran (paths, ssh, --expect)
  kYes,
  kWithFaults,  // only when the run had a nemesis
  kRegister,    // only for the register workload
};

// std::size_t and std::uint64_t are one type here (seed, max_witnesses).
static_assert(std::is_same_v<std::size_t, std::uint64_t>);
using RunField = std::variant<int RunConfig::*, double RunConfig::*, std::uint64_t RunConfig::*, bool RunConfig::*,
                              std::string RunConfig::*, std::filesystem::path RunConfig::*,
                              std::vector<std::string> RunConfig::*>;

struct RunOption {
  std::string flag;  // "--time-limit"; "" for state only config.json records
  std::string key;   // "time_limit_s" in config.json
  RunField field;
  std::string help;
  // Numbers: the allowed range (min_exclusive: must be above min) and what
  // the limit means, said when a value is refused ("0 = unlimited").
  std::optional<double> min, max;
  bool min_exclusive = false;
  std::string range_note;
  Replay replay = Replay::kNo;
  bool repeat = false;                // lists: the flag is repeated per item (--store-opt) instead of a,b,c
  bool show_default = true;
  std::vector<std::string> choices;  // lists: each item must be one of these (checked by the CLI)
};

const std::vector<RunOption>& run_options();

// Registers every option with a flag on `cmd`, bound to `config`'s fields.
void add_run_flags(CLI::App& cmd, RunConfig& config);

// The first option outside its range, as "--rate must be >= 0 (0 =
// unlimited), got -1"; "" when all are within range.
std::string check_ranges(const RunConfig& config);

// config.json's option fields.
nlohmann::json options_to_json(const RunConfig& config);

// "faultline run --nodes 5 ... --seed 42": what repeats this run.
std::string replay_command(const RunConfig& config);

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_SRC_RUN_OPTIONS_H_
