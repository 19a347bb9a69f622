#include "faultline/harness/run_store.h"

#include <chrono>
#include <ctime>
#include <stdexcept>
#include <system_error>

#include <SQLiteCpp/SQLiteCpp.h>
#include <SQLiteCpp/VariadicBind.h>

namespace faultline::harness {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  test_name TEXT NOT NULL,
  started_at TEXT NOT NULL,
  dir TEXT NOT NULL,
  workload TEXT, preset TEXT, nemesis TEXT, backend TEXT, commit_id TEXT,
  nodes INTEGER, seed INTEGER,
  config TEXT,
  verdict TEXT NOT NULL,
  anomalies TEXT, anomaly_count INTEGER DEFAULT 0,
  ops_ok INTEGER DEFAULT 0, ops_fail INTEGER DEFAULT 0, ops_info INTEGER DEFAULT 0,
  duration_s REAL DEFAULT 0,
  error TEXT,
  expected INTEGER DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
)sql";

// Several controllers may run at once against one store: WAL and a busy
// timeout let them take turns instead of failing with SQLITE_BUSY.
SQLite::Database open_db(const fs::path& root) {
  SQLite::Database db((root / "runs.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.setBusyTimeout(10000);
  db.exec("PRAGMA journal_mode=WAL");
  db.exec(kSchema);
  // Stores written before `expected` existed (issue 15) gain the column.
  if (!db.execAndGet("SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name='expected'").getInt())
    db.exec("ALTER TABLE runs ADD COLUMN expected INTEGER DEFAULT 0");
  return db;
}

// Jepsen's directory names: 20261126T051500.123Z (UTC, sortable).
std::string timestamp_now(std::string* iso) {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char base[32], out[48];
  std::strftime(base, sizeof base, "%Y%m%dT%H%M%S", &tm);
  std::snprintf(out, sizeof out, "%s.%03dZ", base, static_cast<int>(ms));
  char iso_base[32];
  std::strftime(iso_base, sizeof iso_base, "%Y-%m-%dT%H:%M:%S", &tm);
  char iso_out[48];
  std::snprintf(iso_out, sizeof iso_out, "%s.%03dZ", iso_base, static_cast<int>(ms));
  *iso = iso_out;
  return out;
}

// Replaces `link` with a symlink to `target` in one rename, so a reader never
// sees it missing.
void point_link(const fs::path& link, const fs::path& target) {
  const fs::path tmp = link.string() + ".tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_directory_symlink(target, tmp, ec);
  if (!ec) fs::rename(tmp, link, ec);
}

RunRecord from_row(SQLite::Statement& q) {
  RunRecord r;
  r.id = q.getColumn("id").getString();
  r.test_name = q.getColumn("test_name").getString();
  r.started_at = q.getColumn("started_at").getString();
  r.dir = q.getColumn("dir").getString();
  r.workload = q.getColumn("workload").getString();
  r.preset = q.getColumn("preset").getString();
  r.nemesis = q.getColumn("nemesis").getString();
  r.backend = q.getColumn("backend").getString();
  r.commit = q.getColumn("commit_id").getString();
  r.nodes = q.getColumn("nodes").getInt();
  r.seed = static_cast<std::uint64_t>(q.getColumn("seed").getInt64());
  r.config = nlohmann::json::parse(q.getColumn("config").getString(), nullptr, false);
  r.verdict = q.getColumn("verdict").getString();
  r.anomalies = nlohmann::json::parse(q.getColumn("anomalies").getString(), nullptr, false);
  if (r.anomalies.is_discarded()) r.anomalies = nlohmann::json::object();
  r.anomaly_count = q.getColumn("anomaly_count").getInt64();
  r.ops_ok = q.getColumn("ops_ok").getInt64();
  r.ops_fail = q.getColumn("ops_fail").getInt64();
  r.ops_info = q.getColumn("ops_info").getInt64();
  r.duration_s = q.getColumn("duration_s").getDouble();
  r.error = q.getColumn("error").getString();
  r.expected = q.getColumn("expected").getInt() != 0;
  return r;
}

}  // namespace

RunStore::RunStore(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) throw std::runtime_error("run store " + root_.string() + ": cannot create: " + ec.message());
  try {
    open_db(root_);
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error("run store " + (root_ / "runs.db").string() + ": " + e.what());
  }
}

fs::path RunStore::begin(RunRecord& record) {
  std::string iso;
  std::string stamp = timestamp_now(&iso);
  const fs::path test_dir = root_ / record.test_name;
  fs::path dir = test_dir / stamp;
  std::error_code ec;
  fs::create_directories(test_dir, ec);
  // Two runs in the same millisecond get distinct directories.
  if (!fs::create_directory(dir, ec)) {
    stamp += "-" + record.id;
    dir = test_dir / stamp;
    fs::create_directories(dir, ec);
  }
  if (ec) throw std::runtime_error("run store: cannot create " + dir.string() + ": " + ec.message());
  point_link(test_dir / "latest", stamp);
  point_link(root_ / "latest", fs::path(record.test_name) / stamp);
  record.dir = fs::absolute(dir).string();
  record.started_at = iso;

  SQLite::Database db = open_db(root_);
  SQLite::Statement q(db,
                      "INSERT INTO runs (id, test_name, started_at, dir, workload, preset, nemesis, backend, "
                      "commit_id, nodes, seed, config, verdict, anomalies) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,'{}')");
  SQLite::bind(q, record.id, record.test_name, record.started_at, record.dir, record.workload, record.preset,
               record.nemesis, record.backend, record.commit, record.nodes, static_cast<std::int64_t>(record.seed),
               record.config.dump(), record.verdict);
  q.exec();
  return dir;
}

void RunStore::finish(const RunRecord& record) {
  SQLite::Database db = open_db(root_);
  SQLite::Statement q(db,
                      "UPDATE runs SET verdict=?, anomalies=?, anomaly_count=?, ops_ok=?, ops_fail=?, ops_info=?, "
                      "duration_s=?, error=?, expected=? WHERE id=?");
  SQLite::bind(q, record.verdict, record.anomalies.dump(), record.anomaly_count, record.ops_ok, record.ops_fail,
               record.ops_info, record.duration_s, record.error, record.expected ? 1 : 0, record.id);
  if (q.exec() != 1) throw std::runtime_error("run store: run " + record.id + " is not indexed");
}

std::vector<RunRecord> RunStore::list(const RunFilter& filter) const {
  SQLite::Database db = open_db(root_);
  std::string sql = "SELECT * FROM runs WHERE 1=1";
  if (!filter.verdict.empty()) sql += " AND verdict = :verdict";
  if (!filter.workload.empty()) sql += " AND workload = :workload";
  if (!filter.commit.empty()) sql += " AND commit_id LIKE :commit";
  sql += " ORDER BY started_at DESC, rowid DESC";
  if (filter.limit > 0) sql += " LIMIT " + std::to_string(filter.limit);
  SQLite::Statement q(db, sql);
  if (!filter.verdict.empty()) q.bind(":verdict", filter.verdict);
  if (!filter.workload.empty()) q.bind(":workload", filter.workload);
  if (!filter.commit.empty()) q.bind(":commit", filter.commit + "%");
  std::vector<RunRecord> out;
  while (q.executeStep()) out.push_back(from_row(q));
  return out;
}

std::optional<RunRecord> RunStore::find(const std::string& id) const {
  SQLite::Database db = open_db(root_);
  SQLite::Statement q(db, "SELECT * FROM runs WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return from_row(q);
}

}  // namespace faultline::harness
