#include "packet/shape_rules.h"

#include <chrono>
#include <optional>

#include "faultline/process/command.h"

namespace faultline::nemesis {
using process::CommandOptions;
using process::CommandResult;
using process::Status;
using process::find_program;
using process::run_command;
namespace detail {
namespace {

using namespace std::chrono_literals;

const CommandOptions kTool{.timeout = 5000ms};

std::string joined(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

Status nft_install(const std::string& nft, std::uint16_t queue, const std::vector<std::string>& destinations) {
  std::string table = "ip " + shape_rules_name_for_queue(queue);
  // One nft invocation is one transaction: the stale table (from a killed
  // shaper) goes and the new one comes atomically, or nothing changes.
  std::string script = "add table " + table + "; delete table " + table + "; add table " + table +
                       "; add chain " + table +
                       " output { type filter hook output priority 0; policy accept; }; add rule " + table +
                       " output meta mark != " + std::to_string(kShaperCopyMark) + " ip daddr { " +
                       joined(destinations, ", ") + " } queue num " +
                       std::to_string(queue) + " bypass";
  CommandResult r = run_command({nft, script}, kTool);
  if (!r.succeeded()) return Status::failure("nft could not add the NFQUEUE rules: " + r.describe());
  return Status::success();
}

Status nft_remove(const std::string& nft, std::uint16_t queue) {
  std::string table = shape_rules_name_for_queue(queue);
  if (!run_command({nft, "list", "table", "ip", table}, kTool).succeeded()) return Status::success();
  CommandResult r = run_command({nft, "delete", "table", "ip", table}, kTool);
  if (!r.succeeded()) return Status::failure("nft could not delete table ip " + table + ": " + r.describe());
  return Status::success();
}

Status iptables_remove(const std::string& ipt, std::uint16_t queue) {
  std::string chain = shape_rules_name_for_queue(queue);
  if (!run_command({ipt, "-w", "5", "-n", "-L", chain}, kTool).succeeded()) return Status::success();
  // The jump may have been inserted more than once by racing starts.
  for (int i = 0; i < 16 && run_command({ipt, "-w", "5", "-D", "OUTPUT", "-j", chain}, kTool).succeeded(); ++i) {
  }
  CommandResult r = run_command({ipt, "-w", "5", "-F", chain}, kTool);
  if (r.succeeded()) r = run_command({ipt, "-w", "5", "-X", chain}, kTool);
  if (!r.succeeded()) return Status::failure("iptables could not remove chain " + chain + ": " + r.describe());
  return Status::success();
}

Status iptables_install(const std::string& ipt, std::uint16_t queue, const std::vector<std::string>& destinations) {
  std::string chain = shape_rules_name_for_queue(queue);
  if (Status st = iptables_remove(ipt, queue); !st) return st;
  CommandResult r = run_command({ipt, "-w", "5", "-N", chain}, kTool);
  for (std::size_t i = 0; r.succeeded() && i < destinations.size(); ++i) {
    r = run_command({ipt, "-w", "5", "-A", chain, "-d", destinations[i], "-m", "mark", "!", "--mark",
                     std::to_string(kShaperCopyMark), "-j", "NFQUEUE", "--queue-num", std::to_string(queue),
                     "--queue-bypass"},
                    kTool);
  }
  // The jump last: until it exists no packet is queued.
  if (r.succeeded()) r = run_command({ipt, "-w", "5", "-I", "OUTPUT", "-j", chain}, kTool);
  if (!r.succeeded()) {
    std::string why = r.describe();
    (void)iptables_remove(ipt, queue);
    return Status::failure("iptables could not add the NFQUEUE rules: " + why);
  }
  return Status::success();
}

}  // namespace

Status install_shape_rules(ShapeRules wanted, std::uint16_t queue, const std::vector<std::string>& destinations,
                           ShapeRules* used) {
  std::optional<std::string> nft = find_program("nft");
  std::string nft_error;
  if (wanted != ShapeRules::iptables) {
    if (nft) {
      *used = ShapeRules::nft;
      Status st = nft_install(*nft, queue, destinations);
      // Some kernels have nf_tables but not its `queue` expression
      // (CONFIG_NFT_QUEUE), while the xtables NFQUEUE target that
      // iptables(-nft) uses is there: fall back instead of giving up.
      if (st || wanted == ShapeRules::nft) return st;
      nft_error = st.error;
    } else if (wanted == ShapeRules::nft) {
      return Status::failure("nft not found (install the nftables package)", true);
    }
  }
  std::optional<std::string> ipt = find_program("iptables");
  if (!ipt) {
    if (!nft_error.empty()) return Status::failure(nft_error + "; and iptables is not installed", true);
    return Status::failure("neither nft nor iptables found: the shaper needs one to queue packets (install nftables)",
                           true);
  }
  *used = ShapeRules::iptables;
  Status st = iptables_install(*ipt, queue, destinations);
  if (!st && !nft_error.empty()) st.error = nft_error + "; then " + st.error;
  return st;
}

Status remove_shape_rules_with(ShapeRules used, std::uint16_t queue) {
  const char* tool = used == ShapeRules::iptables ? "iptables" : "nft";
  std::optional<std::string> path = find_program(tool);
  if (!path) return Status::failure(std::string(tool) + " vanished; cannot remove " + shape_rules_name_for_queue(queue));
  return used == ShapeRules::iptables ? iptables_remove(*path, queue) : nft_remove(*path, queue);
}

}  // namespace detail

std::string_view shape_rules_name(ShapeRules rules) {
  switch (rules) {
    case ShapeRules::automatic: return "auto";
    case ShapeRules::nft: return "nft";
    case ShapeRules::iptables: return "iptables";
  }
  return "?";
}

std::string shape_rules_name_for_queue(std::uint16_t queue) { return "faultline_shape_" + std::to_string(queue); }

Status remove_shape_rules(std::uint16_t queue) {
  Status result = Status::success();
  for (ShapeRules tool : {ShapeRules::nft, ShapeRules::iptables}) {
    if (!find_program(shape_rules_name(tool))) continue;
    if (Status st = detail::remove_shape_rules_with(tool, queue); !st) result = st;
  }
  return result;
}

}  // namespace faultline::nemesis
