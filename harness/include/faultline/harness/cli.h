// The `faultline` command line: one binary, one subcommand per job.
//
// Exit codes (the design brief's contract with CI):
//   0 valid, 1 invalid, 2 unknown, 254 bad arguments or unreadable input,
//   255 crash (an unexpected exception).
#ifndef FAULTLINE_HARNESS_CLI_H_
#define FAULTLINE_HARNESS_CLI_H_

namespace faultline::cli {

inline constexpr int kExitValid = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUnknown = 2;
inline constexpr int kExitUsage = 254;
inline constexpr int kExitCrash = 255;

// Parses argv, runs the chosen subcommand, returns the process exit code.
int run(int argc, char** argv);

}  // namespace faultline::cli

#endif  // FAULTLINE_HARNESS_CLI_H_
