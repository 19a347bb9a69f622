// Structured log of a node: one JSON object per line, with the node id, the
// wall time (ISO 8601, UTC) and the monotonic time in ns, so the harness can
// line node events up with its own history even when wall clocks are skewed.
#ifndef FAULTLINE_NODE_EVENT_LOG_H_
#define FAULTLINE_NODE_EVENT_LOG_H_

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace faultline::node {

class EventLog {
 public:
  enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };
  static Level parse_level(std::string_view name);  // unknown -> kInfo

  // path empty: log to stderr. Throws std::runtime_error if the file cannot be opened.
  EventLog(const std::string& path, std::string node_id, Level level);
  ~EventLog();

  void log(Level level, std::string_view event, nlohmann::json fields = nlohmann::json::object());
  void info(std::string_view event, nlohmann::json fields = nlohmann::json::object()) {
    log(Level::kInfo, event, std::move(fields));
  }
  void warn(std::string_view event, nlohmann::json fields = nlohmann::json::object()) {
    log(Level::kWarn, event, std::move(fields));
  }
  void debug(std::string_view event, nlohmann::json fields = nlohmann::json::object()) {
    log(Level::kDebug, event, std::move(fields));
  }
  bool enabled(Level level) const { return level >= level_; }
  void flush();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string node_id_;
  Level level_;
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_EVENT_LOG_H_
