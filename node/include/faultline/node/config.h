// Configuration of one faultline-node: every knob of the data path.
//
// A config is built in three layers, later layers winning:
//   1. a preset (default "safe"), which sets a group of knobs;
//   2. a JSON file (--config), whose "preset" key, if any, picks layer 1;
//   3. command-line flags.
// Every knob that weakens safety exists on purpose, so the harness can show
// that it catches the weakness; PRESETS.md says which anomaly each preset allows.
//
// Invariants after load/validate (enforced by validate()):
//   - 1 <= r, w <= n <= number of members; n >= 1; vnodes >= 1;
//   - node_id names exactly one member, member ids and addresses are unique;
//   - write_mode two-phase only with an lww versioning (ABD needs totally
//     ordered timestamps; version vectors have no "max + 1");
//   - every limit and timeout is positive; peer_timeout_ms <= request_timeout_ms;
//   - tombstone_grace_ms is 0 or above anti_entropy_interval_ms (except in gc-grace).
#ifndef FAULTLINE_NODE_CONFIG_H_
#define FAULTLINE_NODE_CONFIG_H_

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline::node {

enum class Versioning { kLwwWall, kLwwHlc, kVv };
enum class WriteMode { kOnePhase, kTwoPhase };
enum class ReadRepair { kBlocking, kAsync, kNone };
enum class FsyncPolicy { kAlways, kPeriodic, kNever };
enum class MembershipMode { kStatic, kSwim, kCentral };

std::string_view to_string(Versioning v);
std::string_view to_string(WriteMode m);
std::string_view to_string(ReadRepair r);
std::string_view to_string(FsyncPolicy f);
std::string_view to_string(MembershipMode m);

// A consistency level: a name resolved against N, or an explicit count.
// "ONE" -> 1, "QUORUM" -> n/2+1, "ALL" -> n, "2" or 2 -> 2.
// Returns nullopt for anything else (including counts < 1).
std::optional<int> resolve_consistency(const nlohmann::json& level, int n);

struct Member {
  std::string id;    // stable node name, used on the ring and as tie-breaker
  std::string host;  // IP or name the node listens on
  std::uint16_t port = 0;
  friend bool operator==(const Member&, const Member&) = default;
};

struct NodeConfig {
  std::string preset = "safe";

  // Identity and cluster.
  std::string node_id;
  std::string listen_host = "127.0.0.1";  // default: this member's host
  std::uint16_t listen_port = 0;          // default: this member's port
  std::string data_dir;
  std::vector<Member> members;  // static member list (SWIM replaces it later)

  // Placement and quorums.
  int n = 3;
  int vnodes = 64;
  int r = 2;  // default read quorum when a request names none
  int w = 2;  // default write quorum when a request names none
  bool sloppy_quorum = false;  // fallback (hinted) acks count toward W / R

  // Coordination.
  Versioning versioning = Versioning::kLwwHlc;
  WriteMode write_mode = WriteMode::kTwoPhase;
  // vv: how far another node's clock (hence its dot counters, wall-clock us)
  // may be ahead of this one's; client contexts naming a counter beyond
  // now + this are bad_context, peer records beyond now + twice this are
  // refused. Above the harness's clock bumps (minutes). README "vv contexts".
  std::int64_t max_clock_skew_ms = 15 * 60 * 1000;
  ReadRepair read_repair = ReadRepair::kBlocking;
  int request_timeout_ms = 2000;  // whole client request, coordinator side
  int peer_timeout_ms = 500;      // one replica call; a slow replica costs this
  int unreachable_after = 2;      // consecutive peer failures before "dead"

  // Failure detection (MEMBERSHIP.md): static (data-path failures, above),
  // swim (SWIM + Lifeguard over UDP on the node's port) or central (every
  // node heartbeats to central_monitor, which decides).
  MembershipMode membership = MembershipMode::kSwim;
  int swim_period_ms = 1000;         // protocol period
  int swim_probe_timeout_ms = 500;   // <= swim_period_ms
  int swim_push_pull_ms = 30000;     // full-view sync
  std::string central_monitor;       // member id; default the first member
  int heartbeat_ms = 1000;           // central: heartbeat interval
  int suspect_after_ms = 2500;       // central: silence before suspect
  int dead_after_ms = 5000;          // central: silence before dead (> suspect_after_ms)

  // Hinted handoff.
  bool hinted_handoff = true;
  std::int64_t hint_window_ms = 3 * 3600 * 1000;  // no hints for owners down longer; older hints dropped
  int hint_replay_per_sec = 1000;                 // replay rate limit per node
  int hint_replay_interval_ms = 200;              // how often the replayer looks

  // Anti-entropy (anti_entropy.h): Merkle-tree exchanges between the
  // replicas of each range, and tombstone purging.
  bool anti_entropy = true;
  int anti_entropy_interval_ms = 15000;   // pause between rounds
  int anti_entropy_keys_per_sec = 2000;   // repaired keys per second, per node (rate limit)
  int anti_entropy_depth = 3;             // tree depth: 16^depth leaves per range
  // Tombstones older than this (by their stamp) are purged; 0: never. Must
  // exceed anti_entropy_interval_ms (else a replica that missed the delete
  // can hand the old value back: a resurrected delete), except in preset
  // gc-grace, which exists to show exactly that.
  std::int64_t tombstone_grace_ms = 10LL * 24 * 3600 * 1000;

  // Storage.
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  int fsync_period_ms = 100;     // for periodic
  int group_commit_max = 256;    // writes sharing one transaction / fsync

  // Limits on what a peer or client may send.
  std::uint32_t max_frame_bytes = 4u << 20;
  std::uint32_t max_key_bytes = 1024;
  std::uint32_t max_value_bytes = 1u << 20;

  // Process.
  int io_threads = 2;
  std::string log_file;  // empty: <data_dir>/node.log
  std::string log_level = "info";

  // This node's entry in `members` (validate() guarantees it exists).
  const Member& self() const;
  // The config as JSON in the same shape load accepts (for status and logs).
  nlohmann::json to_json() const;
};

// Why a config was rejected; what() names the key and the problem.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Names of every preset, in documentation order.
const std::vector<std::string>& preset_names();
// The knobs of a preset applied to defaults; throws ConfigError for an unknown name.
NodeConfig preset(std::string_view name);

// Builds a config from a JSON object: picks the preset from "preset", then
// applies every other key. Unknown keys and ill-typed values throw ConfigError.
NodeConfig config_from_json(const nlohmann::json& j);

// Reads a JSON file; throws ConfigError if unreadable or malformed.
nlohmann::json read_config_file(const std::string& path);

// Checks the invariants listed at the top; throws ConfigError.
void validate(NodeConfig& c);

// Parses argv (CLI11): --config FILE, --preset NAME and one flag per knob.
// Returns the validated config. On --help, prints usage and returns nullopt
// with exit_code 0; on a bad flag or config, prints the error and returns
// nullopt with a non-zero exit_code.
std::optional<NodeConfig> parse_command_line(int argc, const char* const* argv, int& exit_code);

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_CONFIG_H_
