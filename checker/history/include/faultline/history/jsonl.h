// faultline's history format: JSON Lines, one event per line, written as the
// run goes.
//
//   {"meta":{"workload":"register","seed":7}}
//   {"index":0,"time":1200,"process":3,"type":"invoke","f":"write","key":"k1","value":3,"node":"n1"}
//   {"index":1,"time":1900,"process":3,"type":"ok","f":"write","key":"k1","value":3,"node":"n1"}
//   {"index":2,"time":2500,"process":"nemesis","type":"info","f":"start","fault":"partition","nodes":["n1"],"value":{"grudge":{}}}
//
// Op lines always carry index, time, process, type, f and value (null
// allowed); key, node and error only when set. Nemesis lines have process
// "nemesis", type "info", f "start" or "stop", the fault, its nodes and its
// parameters as value. A {"meta":{...}} line (usually the first) carries run
// metadata. Readers ignore fields they do not know, so the format can grow.
//
// Durability: the writer keeps events in memory and hands them to the kernel
// in batches. A crash of the writer's process (even kill -9) loses only what
// was not yet handed over, at most `write_interval` (0.1 s by default); a
// crash of the machine loses at most `sync_interval` (1 s) because the file is
// fsync'd at least that often, and at flush() and close(). A crash can leave
// a torn final line; readers stop there and report it as truncated.
#ifndef FAULTLINE_HISTORY_JSONL_H_
#define FAULTLINE_HISTORY_JSONL_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "faultline/history/event.h"

namespace faultline::history {

// One line of a history, encoded: the text of the line without its newline.
// Strings that are not valid UTF-8 are written with U+FFFD in place of the
// bad bytes, so every line the writer produces can be read back.
std::string to_json_line(const Op& op);
std::string to_json_line(const NemesisEvent& event);
std::string meta_json_line(const Json& meta);

struct WriterOptions {
  // How long an appended event may sit in memory before it is written.
  std::chrono::milliseconds write_interval{100};
  // How long a written event may sit in the page cache before fsync.
  std::chrono::milliseconds sync_interval{1000};
  // Write early once this much is buffered, to bound memory.
  std::size_t batch_bytes = 1 << 20;
};

// Appends events to a new history file. Thread-safe: many client threads may
// append at once; each line is written whole, in the order append() returned.
// I/O failures throw std::system_error (from the call that notices them).
class HistoryWriter {
 public:
  // Creates (or truncates) `path` and writes `meta` first unless it is empty.
  // The meta line is made durable before the constructor returns.
  explicit HistoryWriter(const std::string& path, const Json& meta = Json::object(),
                         WriterOptions options = {});
  // Closes; errors at this point are swallowed (call close() to see them).
  ~HistoryWriter();
  HistoryWriter(const HistoryWriter&) = delete;
  HistoryWriter& operator=(const HistoryWriter&) = delete;

  // Appends one event and returns its index. An event with index < 0 gets the
  // next index (one more than the largest so far), assigned under the same
  // lock that orders the lines, so the file stays in index order even with
  // many appending threads.
  std::int64_t append(const Op& op);
  std::int64_t append(const NemesisEvent& event);
  // Appends a {"meta":...} line; readers merge it into History::meta. For
  // facts known only as the run goes (e.g. keys the final phase left unread).
  void append_meta(const Json& meta);

  // Writes and fsyncs everything appended so far; returns once it is durable.
  void flush();
  // flush(), then stops the background thread and closes the file. Idempotent.
  void close();

  const std::string& path() const;
  std::uint64_t events_appended() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A decoded line.
using Event = std::variant<Op, NemesisEvent>;

struct ReaderOptions {
  // Bytes read from the file at a time. Lines longer than this still work:
  // the buffer grows to hold the longest line.
  std::size_t chunk_bytes = 1 << 20;
};

struct ReadInfo {
  std::size_t lines = 0;            // lines read, including meta and blank lines
  bool truncated = false;           // a torn final line was dropped
  std::size_t truncated_bytes = 0;
  std::size_t truncated_line = 0;   // its line number
};

// Reads a history file event by event, holding one chunk of text at a time.
// Throws HistoryError (file, line, column, what is wrong) for a line that is
// not valid JSON or not a valid event, for indices that do not increase, and
// when the file cannot be read.
//
// A final line with no newline that is not complete JSON is what a crash in
// the middle of a write leaves: the reader stops before it and sets
// truncated(). The same damage on any other line is an error.
class HistoryReader {
 public:
  explicit HistoryReader(const std::string& path, ReaderOptions options = {});
  // Reads from memory; `name` is used in error positions. The reader keeps
  // the text and feeds it through the same chunked path as a file.
  static HistoryReader from_text(std::string text, const std::string& name = "<text>",
                                 ReaderOptions options = {});
  ~HistoryReader();
  HistoryReader(HistoryReader&&) noexcept;
  HistoryReader& operator=(HistoryReader&&) noexcept;

  // Decodes the next event into `out` (reusing its storage) and returns true,
  // or returns false at the end of the history. Meta lines are merged into
  // meta() as they pass and are not returned.
  bool next(Event& out);

  // Appends every remaining event to `history` and sets its meta. Faster than
  // a loop over next(): ops are decoded in place in history.ops. `op_lines`,
  // when given, receives each op's line number.
  void read_rest(History& history, std::vector<std::size_t>* op_lines = nullptr);

  // Metadata seen so far (all of it once next() has returned false).
  const Json& meta() const;
  // Line number of the event last returned by next().
  std::size_t line() const;
  // True when the history ended in a torn line that was dropped.
  bool truncated() const;
  // Lines read so far and what was dropped at the end, if anything.
  ReadInfo info() const;
  // Size of the file (or text) being read, for sizing containers.
  std::uint64_t size_bytes() const;

 private:
  struct Impl;
  explicit HistoryReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads a whole history file. `op_lines`, when given, receives the line number
// of each op (parallel to History::ops), for error messages about pairing.
History read_jsonl(const std::string& path, ReadInfo* info = nullptr,
                   std::vector<std::size_t>* op_lines = nullptr);
History read_jsonl_text(std::string_view text, const std::string& name = "<text>", ReadInfo* info = nullptr,
                        std::vector<std::size_t>* op_lines = nullptr);

// Writes a whole history (meta, then ops and nemesis events merged by index)
// with a HistoryWriter and closes it.
void write_jsonl(const std::string& path, const History& history);

}  // namespace faultline::history

#endif  // FAULTLINE_HISTORY_JSONL_H_
