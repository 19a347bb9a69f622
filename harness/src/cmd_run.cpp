// `faultline run`: flags in the style of Jepsen's, checked before anything
// starts (bad ones exit 254 with the reason), then --test-count runs, each
// stored; the exit code is the worst verdict.
#include <fstream>
#include <iostream>
#include <memory>

#include "faultline/checker/judge.h"
#include "faultline/reports/junit.h"

#include "commands.h"
#include "faultline/harness/cli.h"
#include "faultline/harness/runner.h"
#include "run_reports.h"

namespace faultline::cli {
namespace {

int run_code_rank(int code) {  // worst first: crash > invalid > unknown > valid
  switch (code) {
    case kExitCrash: return 3;
    case kExitInvalid: return 2;
    case kExitUnknown: return 1;
    default: return 0;
  }
}

// The first word(s) of the result line: "valid", "INVALID", "INVALID —
// expected for r1w1: stale reads", "unknown" or "ERROR".
std::string verdict_words(const harness::RunOutcome& o) {
  if (o.error) return "ERROR";
  if (!o.headline.empty()) return o.headline;
  return o.verdict == check::Validity::kValid ? "valid" : o.verdict == check::Validity::kInvalid ? "INVALID" : "unknown";
}

}  // namespace

void add_run_command(CLI::App& app, int* exit_code) {
  auto c = std::make_shared<harness::RunConfig>();
  auto* cmd = app.add_subcommand("run", "Deploy a cluster, run a workload under faults, check and store the run");
  auto* nodes_flag = cmd->add_option("--nodes", c->nodes, "Nodes in the cluster")->capture_default_str();
  cmd->add_option("--backend", c->backend, "Where nodes run: netns (default as root), ssh, or local");
  cmd->add_option("--nodes-file", c->nodes_file, "ssh: hosts, one `host` or `name host` per line (# comments)");
  cmd->add_option("--node", c->node_hosts, "ssh: a host, or name=host (repeat; instead of --nodes-file)");
  cmd->add_option("--username", c->ssh_user, "ssh: user to log in as")->capture_default_str();
  cmd->add_option("--ssh-private-key", c->ssh_private_key, "ssh: private key file (default: ssh's own)");
  cmd->add_option("--ssh-port", c->ssh_port, "ssh: port of the hosts' sshd")->capture_default_str();
  cmd->add_flag("--strict-host-key-checking", c->strict_host_key_checking,
                "ssh: require the hosts in your known_hosts (default: accept new keys into a run-local file)");
  cmd->add_option("--workload", c->workload, "register or set")->capture_default_str();
  cmd->add_option("--nemesis", c->nemesis,
                  "Faults to inject: any of partition,packet,pause,kill,clock,zombie, or all, or none")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--nemesis-interval", c->nemesis_interval_s, "Seconds between fault windows (and each window's length)")
      ->capture_default_str();
  cmd->add_option("--nemesis-targets", c->nemesis_targets,
                  "Which nodes a fault hits: any of one,minority,majority,all (default: any)")
      ->delimiter(',');
  cmd->add_option("--packet-faults", c->packet_faults,
                  "Packet fault kinds: any of delay,loss,duplicate,reorder,corrupt,rate (default: all this machine can do)")
      ->delimiter(',');
  cmd->add_option("--time-limit", c->time_limit_s, "Seconds of workload")->capture_default_str();
  cmd->add_option("--rate", c->rate, "Operations per second over all clients (0 = unlimited)")->capture_default_str();
  cmd->add_option("--concurrency", c->concurrency, "Client workers (0 = 2 per node)")->capture_default_str();
  cmd->add_option("--delete-fraction", c->delete_fraction, "register: share of writes that delete the key")
      ->capture_default_str();
  cmd->add_option("--ops-per-key", c->ops_per_key, "register: operations on a key before it is retired")
      ->capture_default_str();
  cmd->add_option("--seed", c->seed, "Seed for every random choice (0 = pick one; it is recorded)");
  cmd->add_option("--store-preset", c->store_preset, "faultline-node preset (see node/PRESETS.md)")
      ->capture_default_str();
  cmd->add_option("--store-opt", c->store_opts, "A node knob as key=value (repeat)");
  cmd->add_option("--expect", c->expect,
                  "Anomaly kinds this run should find (e.g. stale-read,nonlinearizable): exit 0 when at least one "
                  "anomaly was found and all were of these kinds, 1 otherwise")
      ->delimiter(',')
      ->check(CLI::IsMember(check::known_anomaly_kinds()));
  cmd->add_option("--max-witnesses", c->max_witnesses,
                  "Anomalies listed with witnesses per kind and checker (all are counted)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  cmd->add_option("--test-count", c->test_count, "Run the test this many times")->capture_default_str();
  cmd->add_flag("--leave-running", c->leave_running, "Do not tear the cluster down at the end");
  cmd->add_option("--out", c->out, "Run store directory")->capture_default_str();
  cmd->add_option("--recovery", c->recovery_s, "Seconds to wait after healing faults before final reads")
      ->capture_default_str();
  cmd->add_option("--op-timeout", c->op_timeout_s, "Client timeout per operation, seconds")->capture_default_str();
  cmd->add_option("--ready-timeout", c->ready_timeout_s, "Seconds for the cluster to come up")->capture_default_str();
  cmd->add_option("--node-binary", c->node_binary, "faultline-node to run (default: beside faultline, then PATH)");
  cmd->add_option("--agent-binary", c->agent_binary, "faultline-agent for packet faults (default: beside faultline, then PATH)");
  auto junit = std::make_shared<std::string>();
  cmd->add_option("--junit", *junit, "Also write the result as JUnit XML to this file (one test case per run)");
  cmd->callback([c, junit, exit_code, nodes_flag] {
    harness::RunConfig config = *c;
    if (config.backend == "ssh" && nodes_flag->count() > 0) {
      std::cerr << "faultline run: --nodes does not apply to --backend ssh: the hosts given are the nodes\n";
      *exit_code = kExitUsage;
      return;
    }
    if (std::string why = harness::validate(config); !why.empty()) {
      std::cerr << "faultline run: " << why << "\n";
      *exit_code = kExitUsage;
      return;
    }
    if (!junit->empty()) {
      // Refuse an unwritable --junit before spending minutes on the runs.
      std::ofstream probe(*junit, std::ios::app);
      if (!probe) {
        std::cerr << "faultline run: cannot write --junit " << *junit << "\n";
        *exit_code = kExitUsage;
        return;
      }
    }
    std::vector<reports::JunitCase> cases;
    int worst = kExitValid;
    for (int i = 0; i < config.test_count; ++i) {
      if (config.test_count > 1) std::cerr << "test " << (i + 1) << " of " << config.test_count << "\n";
      harness::RunOutcome o = harness::run_test(config, std::cerr);
      const int code = harness::exit_code(o);
      if (run_code_rank(code) > run_code_rank(worst)) worst = code;
      std::cout << verdict_words(o) << "  run " << o.run_id << "  " << o.dir.string() << "\n" << std::flush;
      if (o.error) std::cerr << "faultline run: " << o.message << "\n";
      if (!o.error && o.expect_given) {
        std::cerr << "faultline run: --expect " << (o.expect_unmet.empty() ? "met" : "not met: " + o.expect_unmet)
                  << "\n";
      }
      if (!junit->empty() && !o.dir.empty()) cases.push_back(harness::junit_case(o));
      if (o.interrupted) {
        if (i + 1 < config.test_count) std::cerr << "faultline run: interrupted; the remaining runs are skipped\n";
        break;
      }
      // Later runs reuse the seed sequence deterministically: seed, seed+1, ...
      config.seed += 1;
    }
    if (!junit->empty()) {
      std::ofstream out(*junit, std::ios::trunc);
      out << reports::junit_xml(cases);
      if (!out) std::cerr << "faultline run: cannot write --junit " << *junit << "\n";
    }
    *exit_code = worst;
  });
}

}  // namespace faultline::cli
