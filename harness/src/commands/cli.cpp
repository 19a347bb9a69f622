#include "faultline/harness/cli.h"

#include <iostream>

#include "commands/commands.h"

namespace faultline::cli {

int run(int argc, char** argv) {
  CLI::App app{
      "faultline: deploy a cluster, inject faults, record every operation, and prove or refute "
      "safety (lost writes, stale reads, linearizability).",
      "faultline"};
  app.require_subcommand(1);
  app.fallthrough(false);
  int exit_code = kExitValid;
  add_run_command(app, &exit_code);
  add_check_command(app, &exit_code);
  add_report_command(app, &exit_code);
  add_runs_command(app, &exit_code);
  add_cleanup_command(app, &exit_code);
  add_doctor_command(app, &exit_code);
  add_version_command(app, &exit_code);
  add_kv_command(app, &exit_code);
  add_sim_command(app, &exit_code);
  add_bisect_command(app, &exit_code);
  app.footer(
      "Exit codes: 0 valid, 1 invalid, 2 unknown, 254 bad arguments or input, 255 crash.\n"
      "Run `faultline SUBCOMMAND --help` for a subcommand's options.");
  // CLI11 reports a mistyped subcommand as "a subcommand is required"; name it.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      known = known || sub->get_name() == argv[1];
    }
    if (!known) {
      std::cerr << "faultline: unknown subcommand '" << argv[1] << "'\n\n" << app.help() << std::flush;
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // help goes to stdout, exit 0
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "faultline: " << e.what() << "\n\n" << app.help() << std::flush;
    return kExitUsage;
  }
  return exit_code;
}

}  // namespace faultline::cli
