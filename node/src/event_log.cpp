#include "event_log.h"

#include <chrono>
#include <ctime>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace faultline::node {

struct EventLog::Impl {
  std::shared_ptr<spdlog::logger> logger;
};

EventLog::Level EventLog::parse_level(std::string_view name) {
  if (name == "trace") return Level::kTrace;
  if (name == "debug") return Level::kDebug;
  if (name == "warn") return Level::kWarn;
  if (name == "error") return Level::kError;
  if (name == "off") return Level::kOff;
  return Level::kInfo;
}

EventLog::EventLog(const std::string& path, std::string node_id, Level level)
    : impl_(std::make_unique<Impl>()), node_id_(std::move(node_id)), level_(level) {
  spdlog::sink_ptr sink;
  try {
    if (path.empty())
      sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    else
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  } catch (const spdlog::spdlog_ex& e) {
    throw std::runtime_error("cannot open log '" + path + "': " + e.what());
  }
  impl_->logger = std::make_shared<spdlog::logger>("node-" + node_id_, sink);
  impl_->logger->set_pattern("%v");  // the line is already a complete JSON object
  impl_->logger->set_level(spdlog::level::trace);
  impl_->logger->flush_on(spdlog::level::warn);
}

EventLog::~EventLog() { flush(); }

void EventLog::flush() { impl_->logger->flush(); }

void EventLog::log(Level level, std::string_view event, nlohmann::json fields) {
  if (!enabled(level) || level == Level::kOff) return;
  const auto wall = std::chrono::system_clock::now();
  const auto mono = std::chrono::steady_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(wall.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::size_t len = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + len, sizeof buf - len, ".%06lldZ", static_cast<long long>(us % 1000000));
  static constexpr const char* kNames[] = {"trace", "debug", "info", "warn", "error", "off"};
  nlohmann::json line = {{"wall", buf},
                         {"mono_ns", std::chrono::duration_cast<std::chrono::nanoseconds>(mono).count()},
                         {"node", node_id_},
                         {"level", kNames[static_cast<int>(level)]},
                         {"event", event}};
  if (fields.is_object())
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  impl_->logger->info(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace faultline::node
