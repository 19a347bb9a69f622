// Durable state of one node: its key/value records and the hints it holds
// for other nodes, in one SQLite database (WAL mode) in the node's data dir.
//
// Every write goes through a single writer thread that takes all queued
// writes (up to group_commit_max), applies them in one transaction and
// commits once: concurrent writes share one commit and, under fsync=always,
// one fsync (group commit). A write's callback runs only after its commit
// (and its fsync under `always`), so an acknowledgement means durable.
//
// fsync policies (SQLite's synchronous pragma plus our own fsync):
//   always   - synchronous=FULL: the WAL is fsynced on every commit. A node
//              killed with SIGKILL or losing power keeps every acked write.
//   periodic - synchronous=OFF; a timer fsyncs the WAL and the database every
//              fsync_period_ms. Power loss may lose the last period.
//   never    - synchronous=OFF, no fsync at all: the OS writes back when it
//              likes. SIGKILL loses nothing (the page cache survives the
//              process); an OS crash or power loss can lose acked writes.
//
// Reads use their own connections, so they never wait behind a commit's
// fsync, and are served from an in-memory cache of committed records when
// it holds the key (src/record_cache.h says why that is never stale).
//
// Invariants: the stored record of a key is always merge(old, incoming) (never
// a plain overwrite), so writes, repairs and hint replays commute; a hint is
// deleted only by delete_hints (after its owner acked it), or by age.
#ifndef FAULTLINE_NODE_STORAGE_H_
#define FAULTLINE_NODE_STORAGE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "faultline/node/config.h"
#include "faultline/node/version.h"

namespace faultline::node {

// Hints are stamped when stored and aged by the replayer on the wall clock,
// in milliseconds since the epoch.
inline std::int64_t hint_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StorageOptions {
  std::string dir;  // created if missing; the database is <dir>/node.db
  std::string node_id;
  Versioning versioning = Versioning::kLwwHlc;
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  int fsync_period_ms = 100;
  int group_commit_max = 256;
  // Budget of the in-memory record cache in front of SQLite (0: no cache).
  std::size_t record_cache_bytes = 64u << 20;
};

// A write held on behalf of `owner`, who was unreachable when it was made.
struct Hint {
  std::int64_t id = 0;
  std::string owner;
  std::string key;
  Record record;
  std::int64_t created_ms = 0;  // wall clock, for the hint window
};

struct StorageStats {
  std::uint64_t writes = 0;   // applied records and hints
  std::uint64_t commits = 0;  // transactions (== fsyncs under `always`)
  std::uint64_t hints = 0;    // hints currently stored
};

class Storage {
 public:
  // Opens (creating if needed) the database; throws StorageError.
  static std::unique_ptr<Storage> open(const StorageOptions& options);
  virtual ~Storage() = default;

  // error is empty on success; `merged` is the record now stored.
  using WriteDone = std::function<void(std::optional<std::string> error, Record merged)>;
  using Done = std::function<void(std::optional<std::string> error)>;

  // Merges `incoming` into the key's record; `done` runs after commit (on
  // the writer thread: keep it short, post elsewhere for real work).
  virtual void apply(std::string key, Record incoming, WriteDone done) = 0;
  virtual void store_hint(std::string owner, std::string key, Record record, Done done) = 0;
  virtual void delete_hints(std::vector<std::int64_t> ids, Done done) = 0;

  // Blocking forms, for tests and start-up. Throw StorageError.
  Record apply_sync(const std::string& key, const Record& incoming);
  void store_hint_sync(const std::string& owner, const std::string& key, const Record& record);
  void delete_hints_sync(const std::vector<std::int64_t>& ids);

  // The stored record (empty if none). Throws StorageError.
  virtual Record get(const std::string& key) = 0;
  // get() merged with every hint this node holds for the key: what a sloppy
  // quorum read of this node should see.
  virtual Record get_with_hints(const std::string& key) = 0;

  virtual std::vector<std::string> hint_owners() = 0;
  // Stored hints per owner (for status), counted in SQL.
  virtual std::map<std::string, std::int64_t> hint_counts() = 0;
  // Oldest first.
  virtual std::vector<Hint> hints_for(const std::string& owner, int limit) = 0;
  // Deletes hints created before `cutoff_ms`; returns how many.
  virtual std::int64_t drop_hints_older_than(std::int64_t cutoff_ms) = 0;

  // Highest lww stamp wall time and own dot counter on disk, to seed clocks
  // after a restart (so a restarted node never reissues a dot).
  virtual std::int64_t max_stamp_wall() = 0;
  virtual std::uint64_t max_own_counter() = 0;

  virtual StorageStats stats() = 0;

  // Anti-entropy support (anti_entropy.h).
  //
  // Called on the writer thread after each commit and before any write of
  // the batch is acknowledged, once per key whose stored record changed
  // (an empty record: the key was purged). Set it before the first write;
  // keep it short (it runs inside the group commit's critical path).
  using CommitObserver = std::function<void(const std::string& key, const Record& stored)>;
  virtual void set_commit_observer(CommitObserver observer) = 0;
  // Every stored record, in key order (the start-up rebuild of the trees).
  // Throws StorageError.
  virtual void for_each_record(const std::function<void(const std::string& key, const Record& r)>& fn) = 0;
  // Deletes those of `keys` whose stored record is, when the writer gets to
  // it, non-empty, all tombstones and stamped (max wall) before
  // `cutoff_wall_us`: a key written again since is kept. `done` gets the
  // keys purged.
  using PurgeDone = std::function<void(std::optional<std::string> error, std::vector<std::string> purged)>;
  virtual void purge_tombstones(std::vector<std::string> keys, std::int64_t cutoff_wall_us, PurgeDone done) = 0;
};

// True if the record holds siblings and every one is a tombstone.
bool all_tombstones(const Record& r);

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_STORAGE_H_
