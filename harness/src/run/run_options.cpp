#include "run/run_options.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "faultline/checker/judge.h"
#include "faultline/process/command.h"
#include "faultline/process/text.h"

namespace faultline::harness {

using nlohmann::json;
namespace fs = std::filesystem;

const std::vector<RunOption>& run_options() {
  // The order is the help's and the replay line's.
  static const std::vector<RunOption> options = [] {
    using R = Replay;
    std::vector<RunOption> o;
    o.push_back({.flag = "--nodes", .key = "nodes", .field = &RunConfig::nodes, .help = "Nodes in the cluster",
                 .min = 1, .max = 250, .range_note = "one /24 per cluster", .replay = R::kYes});
    o.push_back({.flag = "--backend", .key = "backend", .field = &RunConfig::backend,
                 .help = "Where nodes run: netns (default as root), ssh, or local", .replay = R::kYes,
                 .show_default = false});
    o.push_back({.flag = "--nodes-file", .key = "nodes_file", .field = &RunConfig::nodes_file,
                 .help = "ssh: hosts, one `host` or `name host` per line (# comments)", .show_default = false});
    o.push_back({.flag = "--node", .key = "node_hosts", .field = &RunConfig::node_hosts,
                 .help = "ssh: a host, or name=host (repeat; instead of --nodes-file)", .repeat = true,
                 .show_default = false});
    o.push_back({.flag = "--username", .key = "ssh_user", .field = &RunConfig::ssh_user, .help = "ssh: user to log in as"});
    o.push_back({.flag = "--ssh-private-key", .key = "ssh_private_key", .field = &RunConfig::ssh_private_key,
                 .help = "ssh: private key file (default: ssh's own)", .show_default = false});
    o.push_back({.flag = "--ssh-port", .key = "ssh_port", .field = &RunConfig::ssh_port,
                 .help = "ssh: port of the hosts' sshd", .min = 1, .max = 65535});
    o.push_back({.flag = "--strict-host-key-checking", .key = "strict_host_key_checking",
                 .field = &RunConfig::strict_host_key_checking,
                 .help = "ssh: require the hosts in your known_hosts (default: accept new keys into a run-local file)"});
    o.push_back({.flag = "--workload", .key = "workload", .field = &RunConfig::workload, .help = "register or set",
                 .replay = R::kYes});
    o.push_back({.flag = "--nemesis", .key = "nemesis", .field = &RunConfig::nemesis,
                 .help = "Faults to inject: any of partition,packet,pause,kill,clock,zombie, or all, or none",
                 .replay = R::kYes});
    o.push_back({.flag = "--nemesis-interval", .key = "nemesis_interval_s", .field = &RunConfig::nemesis_interval_s,
                 .help = "Seconds between fault windows (and each window's length)", .min = 0, .min_exclusive = true,
                 .replay = R::kWithFaults});
    o.push_back({.flag = "--nemesis-targets", .key = "nemesis_targets", .field = &RunConfig::nemesis_targets,
                 .help = "Which nodes a fault hits: any of one,minority,majority,all (default: any)",
                 .replay = R::kWithFaults, .show_default = false});
    o.push_back({.flag = "--packet-faults", .key = "packet_faults", .field = &RunConfig::packet_faults,
                 .help = "Packet fault kinds: any of delay,loss,duplicate,reorder,corrupt,rate (default: all this "
                         "machine can do)",
                 .replay = R::kWithFaults, .show_default = false});
    o.push_back({.flag = "", .key = "packet_mechanism", .field = &RunConfig::packet_mechanism});
    o.push_back({.flag = "--time-limit", .key = "time_limit_s", .field = &RunConfig::time_limit_s,
                 .help = "Seconds of workload", .min = 0, .min_exclusive = true, .replay = R::kYes});
    o.push_back({.flag = "--rate", .key = "rate", .field = &RunConfig::rate,
                 .help = "Operations per second over all clients (0 = unlimited)", .min = 0,
                 .range_note = "0 = unlimited", .replay = R::kYes});
    o.push_back({.flag = "--concurrency", .key = "concurrency", .field = &RunConfig::concurrency,
                 .help = "Client workers (0 = 2 per node)", .min = 0, .range_note = "0 = 2 per node",
                 .replay = R::kYes});
    o.push_back({.flag = "--delete-fraction", .key = "delete_fraction", .field = &RunConfig::delete_fraction,
                 .help = "register: share of writes that delete the key", .min = 0, .max = 1,
                 .replay = R::kRegister});
    o.push_back({.flag = "--ops-per-key", .key = "ops_per_key", .field = &RunConfig::ops_per_key,
                 .help = "register: operations on a key before it is retired", .min = 1, .replay = R::kRegister});
    o.push_back({.flag = "--seed", .key = "seed", .field = &RunConfig::seed,
                 .help = "Seed for every random choice (0 = pick one; it is recorded)", .replay = R::kYes,
                 .show_default = false});
    o.push_back({.flag = "--store-preset", .key = "store_preset", .field = &RunConfig::store_preset,
                 .help = "faultline-node preset (see node/PRESETS.md)", .replay = R::kYes});
    o.push_back({.flag = "--store-opt", .key = "store_opts", .field = &RunConfig::store_opts,
                 .help = "A node knob as key=value (repeat)", .replay = R::kYes, .repeat = true,
                 .show_default = false});
    o.push_back({.flag = "--expect", .key = "expect", .field = &RunConfig::expect,
                 .help = "Anomaly kinds this run should find (e.g. stale-read,nonlinearizable): exit 0 when at least "
                         "one anomaly was found and all were of these kinds, 1 otherwise",
                 .show_default = false, .choices = check::known_anomaly_kinds()});
    o.push_back({.flag = "--max-witnesses", .key = "max_witnesses", .field = &RunConfig::max_witnesses,
                 .help = "Anomalies listed with witnesses per kind and checker (all are counted)", .min = 1,
                 .max = 100000});
    o.push_back({.flag = "--test-count", .key = "test_count", .field = &RunConfig::test_count,
                 .help = "Run the test this many times", .min = 1});
    o.push_back({.flag = "--leave-running", .key = "leave_running", .field = &RunConfig::leave_running,
                 .help = "Do not tear the cluster down at the end"});
    o.push_back({.flag = "--out", .key = "out", .field = &RunConfig::out, .help = "Run store directory"});
    o.push_back({.flag = "--recovery", .key = "recovery_s", .field = &RunConfig::recovery_s,
                 .help = "Seconds to wait after healing faults before final reads", .min = 0, .replay = R::kYes});
    o.push_back({.flag = "--op-timeout", .key = "op_timeout_s", .field = &RunConfig::op_timeout_s,
                 .help = "Client timeout per operation, seconds", .min = 0, .min_exclusive = true,
                 .replay = R::kYes});
    o.push_back({.flag = "--ready-timeout", .key = "ready_timeout_s", .field = &RunConfig::ready_timeout_s,
                 .help = "Seconds for the cluster to come up", .min = 0, .min_exclusive = true});
    o.push_back({.flag = "--node-binary", .key = "node_binary", .field = &RunConfig::node_binary,
                 .help = "faultline-node to run (default: beside faultline, then PATH)", .show_default = false});
    o.push_back({.flag = "--agent-binary", .key = "agent_binary", .field = &RunConfig::agent_binary,
                 .help = "faultline-agent for packet faults (default: beside faultline, then PATH)",
                 .show_default = false});
    return o;
  }();
  return options;
}

void add_run_flags(CLI::App& cmd, RunConfig& config) {
  for (const RunOption& o : run_options()) {
    if (o.flag.empty()) continue;
    std::visit(
        [&](auto member) {
          auto& value = config.*member;
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, bool>) {
            cmd.add_flag(o.flag, value, o.help);
          } else {
            CLI::Option* opt = cmd.add_option(o.flag, value, o.help);
            if constexpr (std::is_same_v<T, std::vector<std::string>>) {
              if (!o.repeat) opt->delimiter(',');
              if (!o.choices.empty()) opt->check(CLI::IsMember(o.choices));
            }
            if (o.show_default) opt->capture_default_str();
          }
        },
        o.field);
  }
}

namespace {

// A number as config.json and the replay line write it ("60.0", "5").
template <class T>
std::string number_text(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(v)) return "nan";
  }
  return json(v).dump();
}

// A range limit as a person writes it: "1", "0.5".
std::string limit_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return number_text(v);
}

}  // namespace

std::string check_ranges(const RunConfig& config) {
  for (const RunOption& o : run_options()) {
    if (!o.min && !o.max) continue;
    std::string why;
    std::visit(
        [&](auto member) {
          const auto& value = config.*member;
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
            const auto v = static_cast<double>(value);
            // Written so NaN fails every comparison and is refused.
            const bool above_min = !o.min || (o.min_exclusive ? v > *o.min : v >= *o.min);
            const bool below_max = !o.max || v <= *o.max;
            if (above_min && below_max) return;
            const std::string got = ", got " + number_text(value);
            const std::string note = o.range_note.empty() ? "" : " (" + o.range_note + ")";
            if (o.min && o.max) {
              why = o.flag + " must be within [" + limit_text(*o.min) + ", " + limit_text(*o.max) + "]" + note + got;
            } else if (o.min && o.min_exclusive && *o.min == 0) {
              why = o.flag + " must be positive" + note + got;
            } else if (o.min) {
              why = o.flag + " must be at least " + limit_text(*o.min) + note + got;
            } else {
              why = o.flag + " must be at most " + limit_text(*o.max) + note + got;
            }
          }
        },
        o.field);
    if (!why.empty()) return why;
  }
  return "";
}

json options_to_json(const RunConfig& config) {
  json out = json::object();
  for (const RunOption& o : run_options()) {
    std::visit(
        [&](auto member) {
          const auto& value = config.*member;
          if constexpr (std::is_same_v<std::decay_t<decltype(value)>, fs::path>) {
            out[o.key] = value.string();
          } else {
            out[o.key] = value;
          }
        },
        o.field);
  }
  return out;
}

std::string replay_command(const RunConfig& config) {
  const bool faults = !config.nemesis.empty() && config.nemesis.front() != "none";
  std::string out = "faultline run";
  for (const RunOption& o : run_options()) {
    if (o.flag.empty() || o.replay == Replay::kNo) continue;
    if (o.replay == Replay::kWithFaults && !faults) continue;
    if (o.replay == Replay::kRegister && config.workload != "register") continue;
    std::visit(
        [&](auto member) {
          const auto& value = config.*member;
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            if (value.empty()) return;
            if (o.repeat) {
              for (const auto& item : value) out += " " + o.flag + " " + process::shell_quote(item);
            } else {
              out += " " + o.flag + " " + process::shell_quote(process::join(value, ","));
            }
          } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, fs::path>) {
            const std::string text = fs::path(value).string();
            if (!text.empty()) out += " " + o.flag + " " + process::shell_quote(text);
          } else if constexpr (std::is_same_v<T, bool>) {
            if (value) out += " " + o.flag;
          } else {
            out += " " + o.flag + " " + number_text(value);
          }
        },
        o.field);
  }
  return out;
}

}  // namespace faultline::harness
