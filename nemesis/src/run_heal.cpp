#include "faultline/nemesis/run_heal.h"

#include "firewall.h"
#include "freezer.h"
#include "faultline/process/command.h"

namespace faultline::nemesis {

std::string host_heal_script(const std::string& run_id, const std::string& agent_path) {
  const std::string t = kFirewallTable;
  const std::string agent = process::shell_quote(agent_path);
  return
      // One grep over every environment (NUL-separated entries, -z -x: the
      // whole entry), not a process per pid: hosts may be busy.
      "for p in $(grep -lzx " + process::shell_quote("FAULTLINE_RUN_ID=" + run_id) +
      " /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do [ \"$p\" = $$ ] && continue; "
      "kill -CONT $p 2>/dev/null; done; "
      "if command -v nft >/dev/null 2>&1; then nft delete table inet " + t + " 2>/dev/null && echo removed nft table; fi; "
      "if command -v iptables >/dev/null 2>&1; then iptables -w -D INPUT -j " + t + " 2>/dev/null; iptables -w -F " + t +
      " 2>/dev/null; iptables -w -X " + t + " 2>/dev/null && echo removed iptables chain; fi; "
      "if [ -x " + agent + " ]; then for d in $(ls /sys/class/net); do [ \"$d\" = lo ] && continue; " + agent +
      " qdiscs --dev $d 2>/dev/null | grep -q netem && " + agent +
      " netem-clear --dev $d >/dev/null 2>&1 && echo cleared netem on $d; done; fi; true";
}

std::vector<std::string> heal_local_run(const std::string& group_prefix, std::vector<std::string>* errors) {
  if (auto freezer = find_freezer_hierarchy()) return remove_freezer_groups(*freezer, group_prefix, errors);
  return {};
}

}  // namespace faultline::nemesis
