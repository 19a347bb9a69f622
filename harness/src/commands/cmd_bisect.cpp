// `faultline bisect --good REV --bad REV --run RUN_DIR [--repeat K]`: finds the
// commit that broke a configuration. It replays the stored run's flags and
// seed (reports::replay_command, the same line a report shows) at each
// candidate commit, built in a worktree of its own so the user's checkout is
// never touched, and lets `git bisect run` search: a commit is bad if any of
// its K replays is invalid (faults are timing-dependent), good if all are
// valid, skipped if it does not build or a replay errors or is unknown.
// A commit older than a flag the replay needs (e.g. a register run's
// --delete-fraction) refuses it with exit 254 and is skipped too: it cannot
// replay that run.
//
// Everything it makes stays under --work (default /tmp/faultline-bisect-*):
// the worktree (removed at the end), one build directory reused across
// commits (incremental, so each step rebuilds only what changed), each
// commit's runs under store/<commit>/, and logs/.
#include <unistd.h>

#include <boost/process.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include "commands/commands.h"
#include "faultline/process/command.h"
#include "faultline/harness/cli.h"
#include "faultline/reports/report_model.h"

namespace faultline::cli {
namespace {
namespace fs = std::filesystem;
namespace bp = boost::process;

struct BisectFlags {
  std::string good, bad, repo, work;
  fs::path run_dir;
  int repeat = 2;
};

// git in `repo` with `args`; stdout (and stderr when asked) into `out`.
int git(const std::string& repo, const std::vector<std::string>& args, std::string* out = nullptr,
        bool merge_stderr = true) {
  std::vector<std::string> all = {"-C", repo};
  all.insert(all.end(), args.begin(), args.end());
  bp::ipstream pipe;
  // Without merge_stderr, git's stderr (and that of the bisect steps it
  // runs) stays the user's terminal.
  bp::child c = merge_stderr
                    ? bp::child(bp::search_path("git"), all, (bp::std_out & bp::std_err) > pipe, bp::std_in < bp::null)
                    : bp::child(bp::search_path("git"), all, bp::std_out > pipe, bp::std_in < bp::null);
  std::ostringstream text;
  text << pipe.rdbuf();
  c.wait();
  const int code = c.exit_code();
  if (out) *out = text.str();
  return code;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

using process::shell_quote;

// The step `git bisect run` calls at each candidate: build, replay K times.
std::string step_script(const fs::path& tree, const fs::path& work, const std::string& replay_args, int repeat) {
  std::ostringstream s;
  s << "#!/usr/bin/env bash\n"
       "# One step of `faultline bisect` (written by it): build the checked-out\n"
       "# commit, replay the run; exit 0 good, 1 bad, 125 skip.\n"
       "set -u\n"
    << "tree=" << shell_quote(tree.string()) << "\n"
    << "work=" << shell_quote(work.string()) << "\n"
    << "repeat=" << repeat << "\n"
    << R"SH(sha=$(git -C "$tree" rev-parse --short=12 HEAD)
build="$tree/build/release"  # inside the worktree (ignored by git): same relative paths as a normal build, so ccache hits
mkdir -p "$work/logs" "$work/store/$sha"
echo "bisect: $sha $(git -C "$tree" log -1 --format=%s HEAD)" >&2
# The release preset's flags (CMakePresets.json), so objects are the ones a
# normal build made and ccache hits; other flags would rebuild everything.
if ! { cmake -S "$tree" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" &&
       cmake --build "$build" -j "$(nproc)" --target faultline; } > "$work/logs/$sha.build.log" 2>&1; then
  echo "bisect: $sha does not build (logs/$sha.build.log): skipped" >&2
  exit 125
fi
for i in $(seq 1 "$repeat"); do
  "$build/harness/faultline" run )SH"
    << replay_args << R"SH( --out "$work/store/$sha" > "$work/logs/$sha.run$i.out" 2> "$work/logs/$sha.run$i.err"
  code=$?
  case $code in
    0) echo "bisect: $sha valid (replay $i of $repeat)" >&2 ;;
    1) echo "bisect: $sha INVALID (replay $i of $repeat): $(cat "$work/logs/$sha.run$i.out")" >&2; exit 1 ;;
    *) echo "bisect: $sha replay $i ended with exit $code (logs/$sha.run$i.err): skipped" >&2; exit 125 ;;
  esac
done
exit 0
)SH";
  return s.str();
}

int bisect(const BisectFlags& f) {
  auto usage = [](const std::string& why) {
    std::cerr << "faultline bisect: " << why << "\n";
    return kExitUsage;
  };
  if (f.repeat < 1) return usage("--repeat must be at least 1, got " + std::to_string(f.repeat));
  nlohmann::json config;
  {
    std::ifstream in(f.run_dir / "config.json");
    if (!in) return usage("no config.json in " + f.run_dir.string() + " (--run takes a stored run's directory)");
    try {
      config = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
      return usage((f.run_dir / "config.json").string() + ": " + e.what());
    }
  }
  std::string replay = reports::replay_command(config);
  if (replay.rfind("faultline run", 0) != 0) return usage("cannot rebuild the run's flags from its config.json");
  replay = replay.substr(std::string("faultline run").size());

  std::string out;
  const std::string repo = f.repo.empty() ? "." : f.repo;
  if (git(repo, {"rev-parse", "--show-toplevel"}, &out) != 0) return usage(repo + " is not in a git repository");
  const std::string top = trim(out);
  std::string good, bad;
  for (auto [rev, into, flag] : {std::tuple{f.good, &good, "--good"}, std::tuple{f.bad, &bad, "--bad"}}) {
    if (git(top, {"rev-parse", "--verify", "--quiet", rev + "^{commit}"}, &out, false) != 0) {
      return usage(std::string(flag) + " '" + rev + "' is not a commit of " + top);
    }
    *into = trim(out);
  }
  if (git(top, {"merge-base", "--is-ancestor", good, bad}) != 0) {
    return usage("--good " + f.good + " is not an ancestor of --bad " + f.bad);
  }

  fs::path work = f.work;
  if (work.empty()) {
    char tmpl[] = "/tmp/faultline-bisect-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return usage("cannot create a work directory under /tmp");
    work = tmpl;
  }
  fs::create_directories(work / "logs");
  const fs::path tree = work / "tree";
  if (git(top, {"worktree", "add", "--detach", tree.string(), bad}, &out) != 0) {
    std::cerr << "faultline bisect: cannot create a worktree at " << tree << ": " << out;
    return kExitUnknown;
  }
  {
    std::ofstream s(work / "step.sh");
    s << step_script(tree, work, replay, f.repeat);
  }
  fs::permissions(work / "step.sh", fs::perms::owner_all, fs::perm_options::add);
  std::cerr << "faultline bisect: " << good.substr(0, 12) << " (good) .. " << bad.substr(0, 12) << " (bad), replaying"
            << replay << " x" << f.repeat << "\n  work dir " << work.string() << "\n";

  int code = git(tree.string(), {"bisect", "start", bad, good}, &out);
  std::string log;
  if (code == 0) code = git(tree.string(), {"bisect", "run", (work / "step.sh").string()}, &log, false);
  {
    std::ofstream l(work / "logs" / "bisect.log");
    l << out << log;
  }
  git(tree.string(), {"bisect", "reset"});
  git(top, {"worktree", "remove", "--force", tree.string()});

  std::smatch m;
  static const std::regex kFirstBad("([0-9a-f]{40}) is the first bad commit");
  if (code != 0 || !std::regex_search(log, m, kFirstBad)) {
    std::cerr << "faultline bisect: git bisect could not name a first bad commit (" << (work / "logs" / "bisect.log")
              << "):\n"
              << log;
    return kExitUnknown;
  }
  const std::string first = m[1];
  git(top, {"log", "-1", "--format=%h %s", first}, &out, false);
  std::cout << "first bad commit: " << first << "  " << trim(out).substr(trim(out).find(' ') + 1) << "\n";
  const fs::path store = work / "store" / first.substr(0, 12);
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(store, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->path().filename() == "report.html") std::cout << "  report: " << it->path().string() << "\n";
  }
  std::cout << "  logs: " << (work / "logs").string() << "\n" << std::flush;
  return kExitValid;
}

}  // namespace

void add_bisect_command(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<BisectFlags>();
  auto* cmd = app.add_subcommand("bisect", "Find the commit that broke a stored run's configuration (git bisect)");
  cmd->add_option("--good", f->good, "A commit where the run is valid")->required();
  cmd->add_option("--bad", f->bad, "A later commit where it is not")->required();
  cmd->add_option("--run", f->run_dir, "The stored run to replay (its directory)")->required();
  cmd->add_option("--repeat", f->repeat, "Replays per commit; bad if any is invalid")->capture_default_str();
  cmd->add_option("--repo", f->repo, "The git repository (default: the one around the current directory)");
  cmd->add_option("--work", f->work, "Where to build and keep runs and logs (default: a new /tmp/faultline-bisect-*)");
  cmd->footer(
      "Each candidate is built in a worktree under --work (the checkout is never touched) and the run's\n"
      "flags and seed are replayed --repeat times. Prints the first bad commit and its failing reports.\n"
      "Exit 0 when a first bad commit was found, 2 when git bisect could not decide, 254 on bad arguments.");
  cmd->callback([f, exit_code] { *exit_code = bisect(*f); });
}

}  // namespace faultline::cli
