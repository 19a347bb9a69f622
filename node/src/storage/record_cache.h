// In-memory copy of recently written or read records, in front of SQLite.
//
// Why: a replica read (and the writer's read-before-merge) costs a SQLite
// read transaction plus a JSON parse of the stored record; most of a node's
// CPU under load. The cache answers those from memory.
//
// It must never answer with anything older than what was acknowledged:
//   - only committed state enters it: the writer thread calls commit() after
//     its transaction committed (and fsynced) and before any write of the
//     batch is acknowledged;
//   - a reader that missed may fill() the record it read from SQLite, but only
//     if no commit happened since it took generation() before its read
//     (otherwise its snapshot may be older than a commit it raced with);
//   - eviction only drops entries (SQLite still holds them), never stales them.
// Bounded by an approximate byte budget; least recently used entries go first.
#ifndef FAULTLINE_NODE_SRC_RECORD_CACHE_H_
#define FAULTLINE_NODE_SRC_RECORD_CACHE_H_

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "faultline/node/version.h"

namespace faultline::node {

class RecordCache {
 public:
  explicit RecordCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // The cached record, or nullptr on a miss.
  std::shared_ptr<const Record> find(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second.pos);
    return it->second.record;
  }

  // Take before reading SQLite on a miss; pass to fill().
  std::uint64_t generation() {
    std::lock_guard lock(mu_);
    return generation_;
  }

  // Caches what a reader read from SQLite, unless a commit happened since
  // `generation` (the read may have raced it) or the key is already cached.
  void fill(const std::string& key, const Record& record, std::uint64_t generation) {
    std::lock_guard lock(mu_);
    if (generation != generation_ || map_.count(key)) return;
    put_locked(key, std::make_shared<const Record>(record));
  }

  // The writer, after a commit: the records now stored for the written keys.
  void commit(std::vector<std::pair<std::string, Record>>& written) {
    std::lock_guard lock(mu_);
    ++generation_;
    for (auto& [key, record] : written) put_locked(key, std::make_shared<const Record>(std::move(record)));
  }

 private:
  struct Entry {
    std::shared_ptr<const Record> record;
    std::size_t bytes = 0;
    std::list<std::string>::iterator pos;
  };

  static std::size_t footprint(const std::string& key, const Record& r) {
    std::size_t n = 2 * key.size() + 128;  // key in map and list, node overheads
    for (const auto& s : r.siblings) n += 96 + (s.value ? s.value->size() : 0) + s.stamp.node.size() + 48 * s.context.size();
    return n;
  }

  void put_locked(const std::string& key, std::shared_ptr<const Record> record) {
    const std::size_t bytes = footprint(key, *record);
    auto it = map_.find(key);
    if (it != map_.end()) {
      bytes_ -= it->second.bytes;
      it->second.record = std::move(record);
      it->second.bytes = bytes;
      lru_.splice(lru_.begin(), lru_, it->second.pos);
    } else {
      lru_.push_front(key);
      map_.emplace(key, Entry{std::move(record), bytes, lru_.begin()});
    }
    bytes_ += bytes;
    while (bytes_ > max_bytes_ && !lru_.empty()) {
      auto victim = map_.find(lru_.back());
      bytes_ -= victim->second.bytes;
      map_.erase(victim);
      lru_.pop_back();
    }
  }

  const std::size_t max_bytes_;
  std::mutex mu_;
  std::uint64_t generation_ = 0;  // commits so far
  std::size_t bytes_ = 0;
  std::list<std::string> lru_;  // most recently used first
  std::unordered_map<std::string, Entry> map_;
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_SRC_RECORD_CACHE_H_
