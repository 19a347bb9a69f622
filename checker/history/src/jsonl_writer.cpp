#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "faultline/history/jsonl.h"
#include "jsonl_encode.h"

namespace faultline::history {

namespace {

using Clock = std::chrono::steady_clock;

// write() all of `data`, riding out short writes and signals. Returns 0 or errno.
int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

int sync_fd(int fd) {
  while (::fdatasync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

// A new file is only durable once its directory entry is: fsync the parent.
void sync_parent_directory(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;  // best effort: some filesystems refuse, the data is still written
  ::fsync(dfd);
  ::close(dfd);
}

// Each appending thread formats into its own buffer, outside the lock.
thread_local std::string t_line;

}  // namespace

struct HistoryWriter::Impl {
  std::string path;
  WriterOptions options;
  int fd = -1;

  std::mutex mu;
  std::condition_variable wake;  // to the background thread
  std::condition_variable done;  // from it: a batch was written (and maybe synced)
  std::string pending;           // appended, not yet written
  std::string spare;             // the other buffer, swapped in to keep capacity
  std::uint64_t appended = 0;    // events appended so far
  std::uint64_t synced = 0;      // events known durable
  std::int64_t next_index = 0;
  bool flush_requested = false;
  bool stopping = false;
  bool closed = false;
  int error = 0;                 // errno of the first failed write or fsync
  std::string error_op;
  std::thread thread;

  void throw_if_failed() const {
    if (error != 0) {
      throw std::system_error(error, std::generic_category(), error_op + " " + path);
    }
  }

  // Refuses an append once closing began or a write failed. Holds `mu`.
  void admit() const {
    if (closed || stopping) throw std::logic_error("append to closed history writer " + path);
    throw_if_failed();
  }

  void append_raw(const std::string& line) {
    std::lock_guard<std::mutex> lock(mu);
    admit();
    pending += line;
    pending += '\n';
    ++appended;
  }

  std::int64_t append_line(std::int64_t index, std::string_view rest) {
    std::lock_guard<std::mutex> lock(mu);
    admit();
    if (index < 0) {
      index = next_index;
    } else if (index < next_index) {
      // Readers reject indices that do not increase; refuse them here, where
      // the caller can still see which event was at fault.
      throw std::invalid_argument("history index " + std::to_string(index) +
                                  " is not greater than the previous index " + std::to_string(next_index - 1));
    }
    next_index = index + 1;
    pending += "{\"index\":";
    detail::append_int(pending, index);
    pending += ',';
    pending += rest;
    pending += '\n';
    ++appended;
    if (pending.size() >= options.batch_bytes) wake.notify_one();
    return index;
  }

  void run() {
    std::unique_lock<std::mutex> lock(mu);
    Clock::time_point last_sync = Clock::now();
    bool unsynced = false;  // written but not yet fsync'd
    // Sync a little early so that nothing written waits longer than
    // sync_interval in total (the wake-up granularity is write_interval).
    const auto sync_after = options.sync_interval > options.write_interval
                                ? options.sync_interval - options.write_interval
                                : Clock::duration::zero();
    while (true) {
      wake.wait_for(lock, options.write_interval, [&] {
        return stopping || flush_requested || pending.size() >= options.batch_bytes;
      });
      spare.clear();
      spare.swap(pending);
      const std::uint64_t seq = appended;
      const bool must_sync = flush_requested || stopping;
      flush_requested = false;
      const bool failed = error != 0;
      lock.unlock();

      int err = 0;
      const char* what = "";
      if (!failed && !spare.empty()) {
        err = write_all(fd, spare);
        what = "cannot write history file";
        unsynced = true;
      }
      const Clock::time_point now = Clock::now();
      if (!failed && err == 0 && unsynced && (must_sync || now - last_sync >= sync_after)) {
        err = sync_fd(fd);
        what = "cannot fsync history file";
        last_sync = now;
        unsynced = false;
      }

      lock.lock();
      if (err != 0 && error == 0) {
        error = err;
        error_op = what;
      }
      if (error == 0 && !unsynced) synced = seq;
      done.notify_all();
      if (stopping && pending.empty()) break;
    }
  }
};

HistoryWriter::HistoryWriter(const std::string& path, const Json& meta, WriterOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->options = options;
  if (impl_->options.write_interval <= std::chrono::milliseconds::zero()) {
    impl_->options.write_interval = std::chrono::milliseconds(1);
  }
  impl_->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (impl_->fd < 0) {
    throw std::system_error(errno, std::generic_category(), "cannot create history file " + path);
  }
  int err = 0;
  if (!meta.is_null() && !(meta.is_object() && meta.empty())) {
    err = write_all(impl_->fd, meta_json_line(meta) + "\n");
  }
  if (err == 0) err = sync_fd(impl_->fd);
  if (err != 0) {
    ::close(impl_->fd);
    throw std::system_error(err, std::generic_category(), "cannot write history file " + path);
  }
  sync_parent_directory(path);
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

HistoryWriter::~HistoryWriter() {
  try {
    close();
  } catch (...) {
    // A destructor cannot report; close() is there for callers who care.
  }
}

std::int64_t HistoryWriter::append(const Op& op) {
  std::string& rest = t_line;
  rest.clear();
  detail::append_op_rest(rest, op);
  return impl_->append_line(op.index, rest);
}

std::int64_t HistoryWriter::append(const NemesisEvent& event) {
  std::string& rest = t_line;
  rest.clear();
  detail::append_nemesis_rest(rest, event);
  return impl_->append_line(event.index, rest);
}

void HistoryWriter::append_meta(const Json& meta) { impl_->append_raw(meta_json_line(meta)); }

void HistoryWriter::flush() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  if (impl_->closed) return;
  impl_->throw_if_failed();
  const std::uint64_t target = impl_->appended;
  impl_->flush_requested = true;
  impl_->wake.notify_one();
  impl_->done.wait(lock, [&] { return impl_->synced >= target || impl_->error != 0; });
  impl_->throw_if_failed();
}

void HistoryWriter::close() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->closed) return;
    impl_->stopping = true;
    impl_->wake.notify_one();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->closed = true;
  if (::close(impl_->fd) != 0 && impl_->error == 0) {
    impl_->error = errno;
    impl_->error_op = "cannot close history file";
  }
  impl_->fd = -1;
  impl_->throw_if_failed();
}

const std::string& HistoryWriter::path() const { return impl_->path; }

std::uint64_t HistoryWriter::events_appended() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->appended;
}

void write_jsonl(const std::string& path, const History& history) {
  HistoryWriter writer(path, history.meta);
  std::size_t o = 0;
  std::size_t n = 0;
  while (o < history.ops.size() || n < history.nemesis.size()) {
    const bool take_op = n >= history.nemesis.size() ||
                         (o < history.ops.size() && history.ops[o].index < history.nemesis[n].index);
    if (take_op) {
      writer.append(history.ops[o++]);
    } else {
      writer.append(history.nemesis[n++]);
    }
  }
  writer.close();
}

}  // namespace faultline::history
