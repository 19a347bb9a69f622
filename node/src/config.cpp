#include "faultline/node/config.h"

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>

namespace faultline::node {

using Json = nlohmann::json;

std::string_view to_string(Versioning v) {
  switch (v) {
    case Versioning::kLwwWall: return "lww-wall";
    case Versioning::kLwwHlc: return "lww-hlc";
    case Versioning::kVv: return "vv";
  }
  return "?";
}
std::string_view to_string(WriteMode m) {
  return m == WriteMode::kOnePhase ? "one-phase" : "two-phase";
}
std::string_view to_string(ReadRepair r) {
  switch (r) {
    case ReadRepair::kBlocking: return "blocking";
    case ReadRepair::kAsync: return "async";
    case ReadRepair::kNone: return "none";
  }
  return "?";
}
std::string_view to_string(FsyncPolicy f) {
  switch (f) {
    case FsyncPolicy::kAlways: return "always";
    case FsyncPolicy::kPeriodic: return "periodic";
    case FsyncPolicy::kNever: return "never";
  }
  return "?";
}

std::string_view to_string(MembershipMode m) {
  switch (m) {
    case MembershipMode::kStatic: return "static";
    case MembershipMode::kSwim: return "swim";
    case MembershipMode::kCentral: return "central";
  }
  return "?";
}

const Member& NodeConfig::self() const {
  for (const auto& m : members)
    if (m.id == node_id) return m;
  throw ConfigError("node_id '" + node_id + "' is not in members");
}

namespace {

// Presets are "safe" with exactly one thing weakened (one knob, or the knobs
// of one misconfiguration: no-hints, gc-grace), so a failing run points at
// one cause. Keep PRESETS.md in step with this table.
NodeConfig apply_preset(std::string_view name) {
  NodeConfig c;  // defaults are the safe preset
  c.preset = std::string(name);
  if (name == "safe") return c;
  if (name == "r1w1") { c.r = 1; c.w = 1; return c; }
  if (name == "sloppy") { c.sloppy_quorum = true; return c; }
  if (name == "lww-wall") {
    c.versioning = Versioning::kLwwWall;
    c.write_mode = WriteMode::kOnePhase;
    return c;
  }
  if (name == "no-repair") { c.read_repair = ReadRepair::kNone; return c; }
  if (name == "fsync-never") { c.fsync = FsyncPolicy::kNever; return c; }
  // No background repair but read repair: hints and anti-entropy are the
  // one thing weakened here (either alone would heal the divergence).
  if (name == "no-hints") {
    c.hinted_handoff = false;
    c.anti_entropy = false;
    return c;
  }
  // Tombstones purged before anti-entropy can carry them to every replica,
  // Cassandra's gc_grace_seconds below the repair interval. The short hint
  // window is the other half of that misconfiguration: a replica down longer
  // than it gets the delete from anti-entropy or read repair alone (with
  // hints it would get it at once, and nothing would come back). The
  // interval is shortened so a test's run sees rounds; the grace stays below it.
  if (name == "gc-grace") {
    c.tombstone_grace_ms = 1000;
    c.hint_window_ms = 1000;
    c.anti_entropy_interval_ms = 3000;
    return c;
  }
  throw ConfigError("unknown preset '" + std::string(name) +
                    "' (known: safe, r1w1, sloppy, lww-wall, no-repair, fsync-never, no-hints, gc-grace)");
}

template <typename E>
E parse_enum(const Json& v, const std::string& key, std::initializer_list<std::pair<const char*, E>> table) {
  if (!v.is_string()) throw ConfigError(key + ": expected a string");
  std::string s = v.get<std::string>();
  std::string known;
  for (auto& [name, value] : table) {
    if (s == name) return value;
    known += (known.empty() ? "" : ", ") + std::string(name);
  }
  throw ConfigError(key + ": unknown value '" + s + "' (known: " + known + ")");
}

std::int64_t get_int(const Json& v, const std::string& key, std::int64_t lo, std::int64_t hi) {
  if (!v.is_number_integer()) throw ConfigError(key + ": expected an integer");
  auto x = v.get<std::int64_t>();
  if (x < lo || x > hi)
    throw ConfigError(key + ": " + std::to_string(x) + " out of range [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "]");
  return x;
}

bool get_bool(const Json& v, const std::string& key) {
  if (!v.is_boolean()) throw ConfigError(key + ": expected true or false");
  return v.get<bool>();
}

std::string get_string(const Json& v, const std::string& key) {
  if (!v.is_string()) throw ConfigError(key + ": expected a string");
  return v.get<std::string>();
}

// "host:port" -> (host, port).
std::pair<std::string, std::uint16_t> parse_addr(const std::string& addr, const std::string& key) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == addr.size())
    throw ConfigError(key + ": address '" + addr + "' is not host:port");
  std::string port = addr.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5)
    throw ConfigError(key + ": bad port in '" + addr + "'");
  int p = std::stoi(port);
  if (p < 1 || p > 65535) throw ConfigError(key + ": port out of range in '" + addr + "'");
  return {addr.substr(0, colon), static_cast<std::uint16_t>(p)};
}

Member parse_member(const Json& m) {
  // Either {"id": "n1", "addr": "127.0.0.1:7001"} or "n1=127.0.0.1:7001".
  Member out;
  std::string addr;
  if (m.is_string()) {
    std::string s = m.get<std::string>();
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) throw ConfigError("members: '" + s + "' is not id=host:port");
    out.id = s.substr(0, eq);
    addr = s.substr(eq + 1);
  } else if (m.is_object()) {
    if (!m.contains("id") || !m.contains("addr")) throw ConfigError("members: each member needs id and addr");
    out.id = get_string(m["id"], "members.id");
    addr = get_string(m["addr"], "members.addr");
  } else {
    throw ConfigError("members: each member is an object or an id=host:port string");
  }
  auto [host, port] = parse_addr(addr, "members." + out.id);
  out.host = host;
  out.port = port;
  return out;
}

void apply_key(NodeConfig& c, const std::string& key, const Json& v, std::optional<Json>& r_level,
               std::optional<Json>& w_level) {
  constexpr std::int64_t kMaxMs = 7LL * 24 * 3600 * 1000;
  if (key == "preset") return;  // handled first
  if (key == "node_id") c.node_id = get_string(v, key);
  else if (key == "listen") {
    auto [h, p] = parse_addr(get_string(v, key), key);
    c.listen_host = h;
    c.listen_port = p;
  } else if (key == "data_dir") c.data_dir = get_string(v, key);
  else if (key == "members") {
    if (!v.is_array()) throw ConfigError("members: expected an array");
    c.members.clear();
    for (const auto& m : v) c.members.push_back(parse_member(m));
  } else if (key == "n") c.n = static_cast<int>(get_int(v, key, 1, 64));
  else if (key == "vnodes") c.vnodes = static_cast<int>(get_int(v, key, 1, 4096));
  else if (key == "r") r_level = v;
  else if (key == "w") w_level = v;
  else if (key == "sloppy_quorum") c.sloppy_quorum = get_bool(v, key);
  else if (key == "versioning")
    c.versioning = parse_enum<Versioning>(
        v, key, {{"lww-wall", Versioning::kLwwWall}, {"lww-hlc", Versioning::kLwwHlc}, {"vv", Versioning::kVv}});
  else if (key == "max_clock_skew_ms") c.max_clock_skew_ms = get_int(v, key, 1, kMaxMs);
  else if (key == "write_mode")
    c.write_mode = parse_enum<WriteMode>(v, key, {{"one-phase", WriteMode::kOnePhase}, {"two-phase", WriteMode::kTwoPhase}});
  else if (key == "read_repair")
    c.read_repair = parse_enum<ReadRepair>(
        v, key, {{"blocking", ReadRepair::kBlocking}, {"async", ReadRepair::kAsync}, {"none", ReadRepair::kNone}});
  else if (key == "request_timeout_ms") c.request_timeout_ms = static_cast<int>(get_int(v, key, 1, 600000));
  else if (key == "peer_timeout_ms") c.peer_timeout_ms = static_cast<int>(get_int(v, key, 1, 600000));
  else if (key == "unreachable_after") c.unreachable_after = static_cast<int>(get_int(v, key, 1, 1000));
  else if (key == "membership")
    c.membership = parse_enum<MembershipMode>(
        v, key, {{"static", MembershipMode::kStatic}, {"swim", MembershipMode::kSwim}, {"central", MembershipMode::kCentral}});
  else if (key == "swim_period_ms") c.swim_period_ms = static_cast<int>(get_int(v, key, 10, 600000));
  else if (key == "swim_probe_timeout_ms") c.swim_probe_timeout_ms = static_cast<int>(get_int(v, key, 1, 600000));
  else if (key == "swim_push_pull_ms") c.swim_push_pull_ms = static_cast<int>(get_int(v, key, 0, 3600000));
  else if (key == "central_monitor") c.central_monitor = get_string(v, key);
  else if (key == "heartbeat_ms") c.heartbeat_ms = static_cast<int>(get_int(v, key, 10, 600000));
  else if (key == "suspect_after_ms") c.suspect_after_ms = static_cast<int>(get_int(v, key, 1, 3600000));
  else if (key == "dead_after_ms") c.dead_after_ms = static_cast<int>(get_int(v, key, 1, 3600000));
  else if (key == "hinted_handoff") c.hinted_handoff = get_bool(v, key);
  else if (key == "hint_window_ms") c.hint_window_ms = get_int(v, key, 1, kMaxMs);
  else if (key == "hint_replay_per_sec") c.hint_replay_per_sec = static_cast<int>(get_int(v, key, 1, 1000000));
  else if (key == "hint_replay_interval_ms") c.hint_replay_interval_ms = static_cast<int>(get_int(v, key, 1, 600000));
  else if (key == "anti_entropy") c.anti_entropy = get_bool(v, key);
  else if (key == "anti_entropy_interval_ms") c.anti_entropy_interval_ms = static_cast<int>(get_int(v, key, 10, 3600000));
  else if (key == "anti_entropy_keys_per_sec") c.anti_entropy_keys_per_sec = static_cast<int>(get_int(v, key, 1, 10000000));
  else if (key == "anti_entropy_depth") c.anti_entropy_depth = static_cast<int>(get_int(v, key, 1, 6));
  else if (key == "tombstone_grace_ms") c.tombstone_grace_ms = get_int(v, key, 0, 365LL * 24 * 3600 * 1000);
  else if (key == "fsync")
    c.fsync = parse_enum<FsyncPolicy>(
        v, key, {{"always", FsyncPolicy::kAlways}, {"periodic", FsyncPolicy::kPeriodic}, {"never", FsyncPolicy::kNever}});
  else if (key == "fsync_period_ms") c.fsync_period_ms = static_cast<int>(get_int(v, key, 1, 600000));
  else if (key == "group_commit_max") c.group_commit_max = static_cast<int>(get_int(v, key, 1, 100000));
  else if (key == "max_frame_bytes") c.max_frame_bytes = static_cast<std::uint32_t>(get_int(v, key, 64, 1LL << 30));
  else if (key == "max_key_bytes") c.max_key_bytes = static_cast<std::uint32_t>(get_int(v, key, 1, 1 << 20));
  else if (key == "max_value_bytes") c.max_value_bytes = static_cast<std::uint32_t>(get_int(v, key, 0, 1LL << 30));
  else if (key == "io_threads") c.io_threads = static_cast<int>(get_int(v, key, 1, 64));
  else if (key == "log_file") c.log_file = get_string(v, key);
  else if (key == "log_level") {
    c.log_level = get_string(v, key);
    static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
    if (!kLevels.count(c.log_level)) throw ConfigError("log_level: unknown level '" + c.log_level + "'");
  } else
    throw ConfigError("unknown config key '" + key + "'");
}

}  // namespace

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> kNames = {"safe",      "r1w1",        "sloppy",  "lww-wall",
                                                  "no-repair", "fsync-never", "no-hints", "gc-grace"};
  return kNames;
}

NodeConfig preset(std::string_view name) { return apply_preset(name); }

NodeConfig config_from_json(const Json& j) {
  if (!j.is_object()) throw ConfigError("config: expected a JSON object");
  NodeConfig c = apply_preset(j.contains("preset") ? get_string(j["preset"], "preset") : "safe");
  // r and w may be names ("QUORUM") that only mean something once n is known,
  // so they are resolved after every other key.
  std::optional<Json> r_level, w_level;
  for (auto it = j.begin(); it != j.end(); ++it) apply_key(c, it.key(), it.value(), r_level, w_level);
  if (r_level) {
    auto r = resolve_consistency(*r_level, c.n);
    if (!r) throw ConfigError("r: expected ONE, QUORUM, ALL or a count >= 1, got " + r_level->dump());
    c.r = *r;
  } else if (c.preset != "r1w1") {
    c.r = c.n / 2 + 1;  // presets speak of QUORUM, which follows n
  }
  if (w_level) {
    auto w = resolve_consistency(*w_level, c.n);
    if (!w) throw ConfigError("w: expected ONE, QUORUM, ALL or a count >= 1, got " + w_level->dump());
    c.w = *w;
  } else if (c.preset != "r1w1") {
    c.w = c.n / 2 + 1;
  }
  return c;
}

Json read_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read config file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return Json::parse(ss.str());
  } catch (const Json::parse_error& e) {
    throw ConfigError("config file '" + path + "' is not valid JSON: " + e.what());
  }
}

void validate(NodeConfig& c) {
  if (c.node_id.empty()) throw ConfigError("node_id: required");
  if (c.data_dir.empty()) throw ConfigError("data_dir: required");
  if (c.members.empty()) throw ConfigError("members: at least one member is required");
  std::set<std::string> ids;
  std::set<std::pair<std::string, int>> addrs;
  for (const auto& m : c.members) {
    if (m.id.empty()) throw ConfigError("members: empty id");
    if (!ids.insert(m.id).second) throw ConfigError("members: duplicate id '" + m.id + "'");
    if (!addrs.insert({m.host, m.port}).second)
      throw ConfigError("members: duplicate address " + m.host + ":" + std::to_string(m.port));
  }
  if (!ids.count(c.node_id)) throw ConfigError("node_id '" + c.node_id + "' is not in members");
  if (c.listen_port == 0) {
    c.listen_host = c.self().host;
    c.listen_port = c.self().port;
  }
  const int size = static_cast<int>(c.members.size());
  if (c.n > size)
    throw ConfigError("n: replication factor " + std::to_string(c.n) + " exceeds " + std::to_string(size) + " members");
  if (c.r < 1 || c.r > c.n) throw ConfigError("r: " + std::to_string(c.r) + " not in [1, n=" + std::to_string(c.n) + "]");
  if (c.w < 1 || c.w > c.n) throw ConfigError("w: " + std::to_string(c.w) + " not in [1, n=" + std::to_string(c.n) + "]");
  if (c.write_mode == WriteMode::kTwoPhase && c.versioning == Versioning::kVv)
    throw ConfigError("write_mode two-phase needs lww-hlc or lww-wall versioning (vv has no max+1)");
  if (c.peer_timeout_ms > c.request_timeout_ms)
    throw ConfigError("peer_timeout_ms must not exceed request_timeout_ms");
  if (c.membership != MembershipMode::kStatic) {
    for (const auto& m : c.members)
      if (m.id.size() > 255 || m.host.size() > 200)
        throw ConfigError("members: id '" + m.id.substr(0, 40) + "...' too long for the membership protocol (255 bytes)");
  }
  if (c.swim_probe_timeout_ms > c.swim_period_ms)
    throw ConfigError("swim_probe_timeout_ms (" + std::to_string(c.swim_probe_timeout_ms) +
                      ") must not exceed swim_period_ms (" + std::to_string(c.swim_period_ms) + ")");
  if (c.suspect_after_ms >= c.dead_after_ms)
    throw ConfigError("suspect_after_ms must be below dead_after_ms");
  if (c.central_monitor.empty()) c.central_monitor = c.members.front().id;
  if (!ids.count(c.central_monitor)) throw ConfigError("central_monitor '" + c.central_monitor + "' is not in members");
  if (c.tombstone_grace_ms > 0 && c.tombstone_grace_ms <= c.anti_entropy_interval_ms && c.preset != "gc-grace")
    throw ConfigError("tombstone_grace_ms (" + std::to_string(c.tombstone_grace_ms) +
                      ") must exceed anti_entropy_interval_ms (" + std::to_string(c.anti_entropy_interval_ms) +
                      "): a replica that missed a delete would hand the old value back after the purge "
                      "(only preset gc-grace allows this, on purpose); 0 never purges");
  if (c.max_key_bytes + c.max_value_bytes + 4096 > c.max_frame_bytes)
    throw ConfigError("max_frame_bytes must exceed max_key_bytes + max_value_bytes + 4096");
}

Json NodeConfig::to_json() const {
  Json members_json = Json::array();
  for (const auto& m : members) members_json.push_back({{"id", m.id}, {"addr", m.host + ":" + std::to_string(m.port)}});
  return Json{{"preset", preset},
              {"node_id", node_id},
              {"listen", listen_host + ":" + std::to_string(listen_port)},
              {"data_dir", data_dir},
              {"members", members_json},
              {"n", n},
              {"vnodes", vnodes},
              {"r", r},
              {"w", w},
              {"sloppy_quorum", sloppy_quorum},
              {"versioning", to_string(versioning)},
              {"write_mode", to_string(write_mode)},
              {"max_clock_skew_ms", max_clock_skew_ms},
              {"read_repair", to_string(read_repair)},
              {"request_timeout_ms", request_timeout_ms},
              {"peer_timeout_ms", peer_timeout_ms},
              {"unreachable_after", unreachable_after},
              {"membership", to_string(membership)},
              {"swim_period_ms", swim_period_ms},
              {"swim_probe_timeout_ms", swim_probe_timeout_ms},
              {"swim_push_pull_ms", swim_push_pull_ms},
              {"central_monitor", central_monitor},
              {"heartbeat_ms", heartbeat_ms},
              {"suspect_after_ms", suspect_after_ms},
              {"dead_after_ms", dead_after_ms},
              {"hinted_handoff", hinted_handoff},
              {"hint_window_ms", hint_window_ms},
              {"hint_replay_per_sec", hint_replay_per_sec},
              {"hint_replay_interval_ms", hint_replay_interval_ms},
              {"anti_entropy", anti_entropy},
              {"anti_entropy_interval_ms", anti_entropy_interval_ms},
              {"anti_entropy_keys_per_sec", anti_entropy_keys_per_sec},
              {"anti_entropy_depth", anti_entropy_depth},
              {"tombstone_grace_ms", tombstone_grace_ms},
              {"fsync", to_string(fsync)},
              {"fsync_period_ms", fsync_period_ms},
              {"group_commit_max", group_commit_max},
              {"max_frame_bytes", max_frame_bytes},
              {"max_key_bytes", max_key_bytes},
              {"max_value_bytes", max_value_bytes},
              {"io_threads", io_threads},
              {"log_file", log_file},
              {"log_level", log_level}};
}

std::optional<NodeConfig> parse_command_line(int argc, const char* const* argv, int& exit_code) {
  CLI::App app{"faultline-node: a Dynamo-style replicated key-value store under test"};
  std::string config_file;
  app.add_option("--config", config_file, "JSON config file (flags override its keys)");
  // Every knob is a flag too; flags land in a JSON object so that they go
  // through exactly the same checks as the file.
  Json flags = Json::object();
  std::map<std::string, std::string> text;
  std::map<std::string, std::int64_t> ints;
  std::map<std::string, bool> bools;
  std::vector<std::string> members;
  auto str_opt = [&](const std::string& key, const std::string& help) {
    app.add_option("--" + key, text[key], help);
  };
  auto int_opt = [&](const std::string& key, const std::string& help) {
    app.add_option("--" + key, ints[key], help);
  };
  auto bool_opt = [&](const std::string& key, const std::string& help) {
    app.add_option("--" + key, bools[key], help);
  };
  str_opt("preset", "safe | r1w1 | sloppy | lww-wall | no-repair | fsync-never | no-hints | gc-grace (see node/PRESETS.md)");
  str_opt("node_id", "this node's id (must be in the member list)");
  str_opt("listen", "host:port to listen on (default: this member's address)");
  str_opt("data_dir", "directory for the SQLite database and the log");
  app.add_option("--member", members, "a member as id=host:port (repeat; replaces the file's list)");
  int_opt("n", "replication factor");
  int_opt("vnodes", "virtual nodes per member");
  str_opt("r", "default read level: ONE | QUORUM | ALL | count");
  str_opt("w", "default write level: ONE | QUORUM | ALL | count");
  bool_opt("sloppy_quorum", "fallback acks count toward the quorum (true/false)");
  str_opt("versioning", "lww-wall | lww-hlc | vv");
  str_opt("write_mode", "one-phase | two-phase");
  int_opt("max_clock_skew_ms", "vv: how far other nodes' clocks may be ahead (bounds context counters)");
  str_opt("read_repair", "blocking | async | none");
  int_opt("request_timeout_ms", "coordinator's deadline for a client request");
  int_opt("peer_timeout_ms", "deadline for one replica call");
  int_opt("unreachable_after", "consecutive peer failures before a peer counts as dead");
  str_opt("membership", "static | swim | central (see node/MEMBERSHIP.md)");
  int_opt("swim_period_ms", "SWIM protocol period");
  int_opt("swim_probe_timeout_ms", "SWIM probe timeout (<= period)");
  int_opt("swim_push_pull_ms", "SWIM full-view sync interval (0: off)");
  str_opt("central_monitor", "central mode: the monitor's member id (default: first member)");
  int_opt("heartbeat_ms", "central mode: heartbeat interval");
  int_opt("suspect_after_ms", "central mode: silence before suspect");
  int_opt("dead_after_ms", "central mode: silence before dead");
  bool_opt("hinted_handoff", "write hints for unreachable replicas (true/false)");
  int_opt("hint_window_ms", "no hints for owners down longer; older hints are dropped");
  int_opt("hint_replay_per_sec", "hint replay rate limit");
  int_opt("hint_replay_interval_ms", "how often hints are retried");
  bool_opt("anti_entropy", "Merkle-tree anti-entropy between replicas (true/false)");
  int_opt("anti_entropy_interval_ms", "pause between anti-entropy rounds");
  int_opt("anti_entropy_keys_per_sec", "anti-entropy repair rate limit (keys per second)");
  int_opt("anti_entropy_depth", "Merkle tree depth (16^depth leaves per range)");
  int_opt("tombstone_grace_ms", "purge tombstones older than this (0: never; > anti_entropy_interval_ms)");
  str_opt("fsync", "always | periodic | never");
  int_opt("fsync_period_ms", "fsync period for periodic");
  int_opt("group_commit_max", "writes sharing one commit");
  int_opt("max_frame_bytes", "largest accepted frame");
  int_opt("max_key_bytes", "largest accepted key");
  int_opt("max_value_bytes", "largest accepted value");
  int_opt("io_threads", "network threads");
  str_opt("log_file", "log file (default <data_dir>/node.log)");
  str_opt("log_level", "trace | debug | info | warn | error | off");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    if (exit_code == 0) return std::nullopt;  // --help
    exit_code = 2;
    return std::nullopt;
  }
  try {
    Json j = config_file.empty() ? Json::object() : read_config_file(config_file);
    if (!j.is_object()) throw ConfigError("config file '" + config_file + "': expected a JSON object");
    for (auto& [k, v] : text)
      if (app.count("--" + k)) {
        // r / w given as digits stay integers so "2" and 2 mean the same.
        j[k] = v;
      }
    for (auto& [k, v] : ints)
      if (app.count("--" + k)) j[k] = v;
    for (auto& [k, v] : bools)
      if (app.count("--" + k)) j[k] = v;
    if (!members.empty()) j["members"] = members;
    NodeConfig c = config_from_json(j);
    validate(c);
    exit_code = 0;
    return c;
  } catch (const ConfigError& e) {
    std::cerr << "faultline-node: bad config: " << e.what() << "\n";
    exit_code = 2;
    return std::nullopt;
  }
}

}  // namespace faultline::node
