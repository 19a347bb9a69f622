// SQLite implementation of Storage: one writer thread doing group commit, one
// read connection, and a periodic fsync thread for fsync=periodic.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <variant>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/storage.h"
#include "storage/record_cache.h"

namespace faultline::node {

namespace {

using Json = nlohmann::json;


struct ApplyJob {
  std::string key;
  Record incoming;
  Storage::WriteDone done;
};
struct HintJob {
  std::string owner, key;
  Record record;
  Storage::Done done;
};
struct DeleteJob {
  std::vector<std::int64_t> ids;
  Storage::Done done;
};
struct PurgeJob {
  std::vector<std::string> keys;
  std::int64_t cutoff_wall_us = 0;
  Storage::PurgeDone done;
};
using Job = std::variant<ApplyJob, HintJob, DeleteJob, PurgeJob>;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  record TEXT NOT NULL,        -- JSON array of siblings (version.h)
  stamp_wall INTEGER NOT NULL, -- max stamp wall, to seed the HLC on restart
  own_counter INTEGER NOT NULL -- max dot counter this node issued
);
CREATE TABLE IF NOT EXISTS hints (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  owner TEXT NOT NULL,
  key TEXT NOT NULL,
  record TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS hints_owner ON hints(owner, id);
CREATE INDEX IF NOT EXISTS hints_key ON hints(key);
)sql";

class SqliteStorage final : public Storage {
 public:
  explicit SqliteStorage(const StorageOptions& o)
      : opts_(o), path_((std::filesystem::path(o.dir) / "node.db").string()), cache_(o.record_cache_bytes) {
    std::error_code ec;
    std::filesystem::create_directories(o.dir, ec);
    if (ec) throw StorageError("cannot create data dir '" + o.dir + "': " + ec.message());
    try {
      wdb_ = std::make_unique<SQLite::Database>(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      wdb_->setBusyTimeout(10000);
      wdb_->exec("PRAGMA journal_mode=WAL");
      wdb_->exec(o.fsync == FsyncPolicy::kAlways ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF");
      wdb_->exec(kSchema);
      rdb_ = std::make_unique<SQLite::Database>(path_, SQLite::OPEN_READONLY);
      rdb_->setBusyTimeout(10000);
      SQLite::Statement count(*wdb_, "SELECT COUNT(*) FROM hints");
      count.executeStep();
      hint_count_ = count.getColumn(0).getInt64();
    } catch (const SQLite::Exception& e) {
      throw StorageError("cannot open database '" + path_ + "': " + e.what());
    }
    writer_ = std::thread([this] { writer_loop(); });
    if (o.fsync == FsyncPolicy::kPeriodic) syncer_ = std::thread([this] { sync_loop(); });
  }

  ~SqliteStorage() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    sync_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (syncer_.joinable()) syncer_.join();
    if (opts_.fsync == FsyncPolicy::kPeriodic) fsync_files();
  }

  void apply(std::string key, Record incoming, WriteDone done) override {
    enqueue(ApplyJob{std::move(key), std::move(incoming), std::move(done)});
  }
  void store_hint(std::string owner, std::string key, Record record, Done done) override {
    enqueue(HintJob{std::move(owner), std::move(key), std::move(record), std::move(done)});
  }
  void delete_hints(std::vector<std::int64_t> ids, Done done) override {
    enqueue(DeleteJob{std::move(ids), std::move(done)});
  }

  void set_commit_observer(CommitObserver observer) override {
    std::lock_guard lock(mu_);
    observer_ = std::move(observer);
  }

  void for_each_record(const std::function<void(const std::string&, const Record&)>& fn) override {
    ReaderLease r(*this);
    try {
      SQLite::Statement q(r->db, "SELECT key, record FROM kv ORDER BY key");
      while (q.executeStep()) fn(q.getColumn(0).getString(), record_from_json(Json::parse(q.getColumn(1).getString())));
    } catch (const SQLite::Exception& e) {
      r.discard();
      throw StorageError(std::string("scan failed: ") + e.what());
    }
  }

  void purge_tombstones(std::vector<std::string> keys, std::int64_t cutoff_wall_us, PurgeDone done) override {
    enqueue(PurgeJob{std::move(keys), cutoff_wall_us, std::move(done)});
  }

  Record get(const std::string& key) override {
    if (auto hit = cache_.find(key)) return *hit;
    return with_reader([&](Reader& r) {
      const auto gen = cache_.generation();
      Record rec = read_record(r.kv, key);
      cache_.fill(key, rec, gen);
      return rec;
    });
  }

  Record get_with_hints(const std::string& key) override {
    // Most of the time no hints are stored at all: skip their query.
    // hint_count_ rises before a hint's write is acknowledged, so an acked
    // hint is never skipped.
    if (hint_count_.load() == 0) return get(key);
    return with_reader([&](Reader& r) {
      Record rec = read_record(r.kv, key);
      SQLite::Statement& q = r.hints_by_key;
      q.bind(1, key);
      while (q.executeStep())
        rec = merge(rec, record_from_json(Json::parse(q.getColumn(0).getString())), opts_.versioning);
      q.reset();
      return rec;
    });
  }

  std::vector<std::string> hint_owners() override {
    std::lock_guard lock(read_mu_);
    std::vector<std::string> out;
    SQLite::Statement q(*rdb_, "SELECT DISTINCT owner FROM hints");
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  }

  std::map<std::string, std::int64_t> hint_counts() override {
    std::lock_guard lock(read_mu_);
    std::map<std::string, std::int64_t> out;
    SQLite::Statement q(*rdb_, "SELECT owner, COUNT(*) FROM hints GROUP BY owner");
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    return out;
  }

  std::vector<Hint> hints_for(const std::string& owner, int limit) override {
    std::lock_guard lock(read_mu_);
    std::vector<Hint> out;
    SQLite::Statement q(*rdb_, "SELECT id, key, record, created_ms FROM hints WHERE owner = ? ORDER BY id LIMIT ?");
    q.bind(1, owner);
    q.bind(2, limit);
    while (q.executeStep()) {
      Hint h;
      h.id = q.getColumn(0).getInt64();
      h.owner = owner;
      h.key = q.getColumn(1).getString();
      h.record = record_from_json(Json::parse(q.getColumn(2).getString()));
      h.created_ms = q.getColumn(3).getInt64();
      out.push_back(std::move(h));
    }
    return out;
  }

  std::int64_t drop_hints_older_than(std::int64_t cutoff_ms) override {
    std::vector<std::int64_t> ids;
    {
      std::lock_guard lock(read_mu_);
      SQLite::Statement q(*rdb_, "SELECT id FROM hints WHERE created_ms < ?");
      q.bind(1, cutoff_ms);
      while (q.executeStep()) ids.push_back(q.getColumn(0).getInt64());
    }
    if (!ids.empty()) delete_hints_sync(ids);
    return static_cast<std::int64_t>(ids.size());
  }

  std::int64_t max_stamp_wall() override {
    std::lock_guard lock(read_mu_);
    SQLite::Statement q(*rdb_, "SELECT COALESCE(MAX(stamp_wall), 0) FROM kv");
    q.executeStep();
    return q.getColumn(0).getInt64();
  }

  std::uint64_t max_own_counter() override {
    std::lock_guard lock(read_mu_);
    SQLite::Statement q(*rdb_, "SELECT COALESCE(MAX(own_counter), 0) FROM kv");
    q.executeStep();
    return static_cast<std::uint64_t>(q.getColumn(0).getInt64());
  }

  StorageStats stats() override {
    return {writes_.load(), commits_.load(), static_cast<std::uint64_t>(hint_count_.load())};
  }

 private:
  static Record read_record(SQLite::Statement& q, const std::string& key) {
    q.bind(1, key);
    Record r;
    if (q.executeStep()) r = record_from_json(Json::parse(q.getColumn(0).getString()));
    q.reset();  // ends the read transaction
    return r;
  }

  // A read connection with its statements prepared once: preparing a
  // statement per read cost more than the read itself. Readers are pooled
  // (one per concurrently reading thread, created on demand), so reads on
  // different I/O threads do not queue behind one connection's mutex.
  struct Reader {
    explicit Reader(const std::string& path)
        : db(path, SQLite::OPEN_READONLY, /*busy_timeout_ms=*/10000),
          kv(db, "SELECT record FROM kv WHERE key = ?"),
          hints_by_key(db, "SELECT record FROM hints WHERE key = ?") {
      // Pages of the database file come from a shared mapping rather than a
      // pread per page miss.
      db.exec("PRAGMA mmap_size=268435456");
    }
    SQLite::Database db;
    SQLite::Statement kv;
    SQLite::Statement hints_by_key;
  };

  class ReaderLease {
   public:
    explicit ReaderLease(SqliteStorage& s) : s_(s) {
      {
        std::lock_guard lock(s_.readers_mu_);
        if (!s_.readers_.empty()) {
          r_ = std::move(s_.readers_.back());
          s_.readers_.pop_back();
        }
      }
      if (!r_) {
        try {
          r_ = std::make_unique<Reader>(s_.path_);
        } catch (const SQLite::Exception& e) {
          throw StorageError(std::string("cannot open a read connection: ") + e.what());
        }
      }
    }
    ~ReaderLease() {
      if (!r_) return;
      std::lock_guard lock(s_.readers_mu_);
      s_.readers_.push_back(std::move(r_));
    }
    Reader* operator->() { return r_.get(); }
    Reader& operator*() { return *r_; }
    // After an error the statements may be mid-step: do not reuse them.
    void discard() { r_.reset(); }

   private:
    SqliteStorage& s_;
    std::unique_ptr<Reader> r_;
  };

  // Runs `read` on a leased read connection. After an error its statements
  // may be mid-step, so the connection is dropped instead of returned, and
  // SQLite errors become StorageError.
  template <class Read>
  Record with_reader(Read&& read) {
    ReaderLease r(*this);
    try {
      return read(*r);
    } catch (const SQLite::Exception& e) {
      r.discard();
      throw StorageError(std::string("read failed: ") + e.what());
    } catch (...) {
      r.discard();
      throw;
    }
  }

  void enqueue(Job job) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

  // The writer's prepared statements, made once on the write connection.
  struct WriterStatements {
    explicit WriterStatements(SQLite::Database& db)
        : select(db, "SELECT record FROM kv WHERE key = ?"),
          // An upsert updates the row in place (same rowid, index untouched);
          // INSERT OR REPLACE deleted and re-inserted it, dirtying three pages.
          upsert(db,
                 "INSERT INTO kv(key, record, stamp_wall, own_counter) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT(key) DO UPDATE SET record = excluded.record, "
                 "stamp_wall = excluded.stamp_wall, own_counter = excluded.own_counter"),
          add_hint(db, "INSERT INTO hints(owner, key, record, created_ms) VALUES (?, ?, ?, ?)"),
          del_hint(db, "DELETE FROM hints WHERE id = ?"),
          del_kv(db, "DELETE FROM kv WHERE key = ?") {}
    SQLite::Statement select, upsert, add_hint, del_hint, del_kv;
  };

  // What one batch did: for the cache, the commit observer and each job's callback.
  struct BatchOutcome {
    explicit BatchOutcome(std::size_t jobs) : merged(jobs), purged(jobs) {}
    std::vector<Record> merged;  // an ApplyJob's stored record, by job
    // Records this batch wrote, by key: a key written twice in one batch
    // must merge into the first write, which neither the cache nor (before
    // commit) the read connections see.
    std::unordered_map<std::string, std::size_t> in_batch;
    std::vector<std::pair<std::string, Record>> written;
    std::vector<bool> changed;  // parallel to written: the stored record differs from before the batch
    std::vector<std::vector<std::string>> purged;  // a PurgeJob's removed keys, by job
    std::int64_t hint_delta = 0;
    std::optional<std::string> error;

    void note_written(const std::string& key, const Record& now, bool differs) {
      if (auto b = in_batch.find(key); b != in_batch.end()) {
        written[b->second].second = now;
        if (differs) changed[b->second] = true;
      } else {
        in_batch.emplace(key, written.size());
        written.emplace_back(key, now);
        changed.push_back(differs);
      }
    }
  };

  void writer_loop() {
    WriterStatements st(*wdb_);
    for (;;) {
      std::vector<Job> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping and drained
        while (!queue_.empty() && static_cast<int>(batch.size()) < opts_.group_commit_max) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      BatchOutcome out(batch.size());
      write_batch(batch, st, out);
      if (!out.error) publish(out, batch.size());
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const std::optional<std::string>& error = out.error;
        std::visit(
            [&](auto& job) {
              using T = std::decay_t<decltype(job)>;
              if constexpr (std::is_same_v<T, ApplyJob>) {
                if (job.done) job.done(error, error ? Record{} : std::move(out.merged[i]));
              } else if constexpr (std::is_same_v<T, PurgeJob>) {
                if (job.done) job.done(error, error ? std::vector<std::string>{} : std::move(out.purged[i]));
              } else {
                if (job.done) job.done(error);
              }
            },
            batch[i]);
      }
    }
  }

  // The batch in one transaction: one commit, so under synchronous=FULL one
  // fsync. On failure nothing of it is stored and out.error says why.
  void write_batch(std::vector<Job>& batch, WriterStatements& st, BatchOutcome& out) {
    try {
      SQLite::Transaction tx(*wdb_);
      // The key's record as of this point of the batch.
      auto current = [&](const std::string& key) {
        Record old;
        if (auto b = out.in_batch.find(key); b != out.in_batch.end()) {
          old = out.written[b->second].second;
        } else if (auto hit = cache_.find(key)) {
          old = *hit;
        } else {
          st.select.bind(1, key);
          if (st.select.executeStep()) old = record_from_json(Json::parse(st.select.getColumn(0).getString()));
          st.select.reset();
        }
        return old;
      };
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (auto* a = std::get_if<ApplyJob>(&batch[i])) {
          Record old = current(a->key);
          out.merged[i] = merge(old, a->incoming, opts_.versioning);
          out.note_written(a->key, out.merged[i], out.merged[i] != old);
          if (out.merged[i] != old) {
            st.upsert.bind(1, a->key);
            st.upsert.bind(2, to_json(out.merged[i]).dump());
            st.upsert.bind(3, static_cast<std::int64_t>(max_stamp(out.merged[i]).value_or(Stamp{}).wall));
            st.upsert.bind(4, static_cast<std::int64_t>(node::max_own_counter(out.merged[i], opts_.node_id)));
            st.upsert.exec();
            st.upsert.reset();
          }
        } else if (auto* h = std::get_if<HintJob>(&batch[i])) {
          st.add_hint.bind(1, h->owner);
          st.add_hint.bind(2, h->key);
          st.add_hint.bind(3, to_json(h->record).dump());
          st.add_hint.bind(4, hint_clock_ms());
          st.add_hint.exec();
          st.add_hint.reset();
          ++out.hint_delta;
        } else if (auto* pj = std::get_if<PurgeJob>(&batch[i])) {
          for (const auto& key : pj->keys) {
            const Record old = current(key);
            if (!all_tombstones(old) || max_stamp(old).value_or(Stamp{}).wall >= pj->cutoff_wall_us) continue;
            st.del_kv.bind(1, key);
            st.del_kv.exec();
            st.del_kv.reset();
            out.note_written(key, Record{}, true);
            out.purged[i].push_back(key);
          }
        } else if (auto* d = std::get_if<DeleteJob>(&batch[i])) {
          for (auto id : d->ids) {
            st.del_hint.bind(1, id);
            out.hint_delta -= st.del_hint.exec();
            st.del_hint.reset();
          }
        }
      }
      tx.commit();  // under synchronous=FULL this is the one fsync of the batch
    } catch (const std::exception& e) {
      // The transaction rolled back: nothing of the batch is stored, so
      // every job fails (and no statement is left half-bound).
      out.error = std::string("storage write failed: ") + e.what();
      st.select.reset();
      st.upsert.reset();
      st.add_hint.reset();
      st.del_hint.reset();
      st.del_kv.reset();
      st.select.clearBindings();
    }
  }

  // A committed batch made visible: to the commit observer, then the cache,
  // before any job is acknowledged.
  void publish(BatchOutcome& out, std::size_t jobs) {
    // The observer (anti-entropy's trees) sees a commit before it is
    // acknowledged, so a tree never lags an acked write.
    CommitObserver observer;
    {
      std::lock_guard lock(mu_);
      observer = observer_;
    }
    if (observer)
      for (std::size_t w = 0; w < out.written.size(); ++w)
        if (out.changed[w]) observer(out.written[w].first, out.written[w].second);
    // Before any acknowledgement, so an acked write is what a cached read
    // returns. The cache takes the written records (moved out of `out`).
    cache_.commit(out.written);
    commits_ += 1;
    writes_ += jobs;
    hint_count_ += out.hint_delta;
  }

  void fsync_files() {
    for (const std::string& p : {path_ + "-wal", path_}) {
      int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      ::fsync(fd);  // fsync flushes the file, whichever descriptor asks
      ::close(fd);
    }
  }

  void sync_loop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      sync_cv_.wait_for(lock, std::chrono::milliseconds(opts_.fsync_period_ms));
      lock.unlock();
      fsync_files();
      lock.lock();
    }
  }

  StorageOptions opts_;
  std::string path_;
  std::unique_ptr<SQLite::Database> wdb_;  // writer thread only (after construction)
  std::unique_ptr<SQLite::Database> rdb_;  // guarded by read_mu_
  std::mutex read_mu_;
  RecordCache cache_;  // committed records; filled by the writer and by readers that missed
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Reader>> readers_;  // idle pooled read connections

  std::mutex mu_;
  std::condition_variable cv_;       // wakes the writer; only the writer waits on it
  std::condition_variable sync_cv_;  // wakes the periodic syncer (at shutdown)
  std::deque<Job> queue_;
  bool stopping_ = false;
  CommitObserver observer_;  // guarded by mu_
  std::thread writer_, syncer_;

  std::atomic<std::uint64_t> writes_{0}, commits_{0};
  std::atomic<std::int64_t> hint_count_{0};
};

}  // namespace

std::unique_ptr<Storage> Storage::open(const StorageOptions& options) {
  return std::make_unique<SqliteStorage>(options);
}

bool all_tombstones(const Record& r) {
  if (r.empty()) return false;
  for (const auto& s : r.siblings)
    if (!s.tombstone()) return false;
  return true;
}

Record Storage::apply_sync(const std::string& key, const Record& incoming) {
  std::promise<std::pair<std::optional<std::string>, Record>> p;
  auto f = p.get_future();
  apply(key, incoming, [&](std::optional<std::string> err, Record merged) { p.set_value({err, std::move(merged)}); });
  auto [err, merged] = f.get();
  if (err) throw StorageError(*err);
  return merged;
}

void Storage::store_hint_sync(const std::string& owner, const std::string& key, const Record& record) {
  std::promise<std::optional<std::string>> p;
  auto f = p.get_future();
  store_hint(owner, key, record, [&](std::optional<std::string> err) { p.set_value(err); });
  if (auto err = f.get()) throw StorageError(*err);
}

void Storage::delete_hints_sync(const std::vector<std::int64_t>& ids) {
  std::promise<std::optional<std::string>> p;
  auto f = p.get_future();
  delete_hints(ids, [&](std::optional<std::string> err) { p.set_value(err); });
  if (auto err = f.get()) throw StorageError(*err);
}

}  // namespace faultline::node
