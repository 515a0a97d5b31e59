#pragma once
// Structured logs of `coldbench-torch serve`: one JSON object per line
// (nlohmann-json builds and escapes it; spdlog only writes the finished line),
// to stderr or a rotating file. Writing is asynchronous: a request thread
// only queues the line, and if the writer falls behind, the oldest queued
// lines are dropped (counted) rather than stalling inference.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "torch/serve/options.hpp"  // LogOptions
#include "torch/serve/server.hpp"   // RequestRecord

namespace coldbench::workload::serve {

using LogEvent = nlohmann::ordered_json;

// 2026-12-02T15:43:23.123Z
std::string rfc3339_utc_ms(std::chrono::system_clock::time_point time);
// {"timestamp": ..., "event": name}; callers add their fields.
LogEvent log_event(std::string_view name, std::chrono::system_clock::time_point time);

// What the server knows about a finished request beyond its record.
struct InferenceContext {
  std::optional<bool> first_seen_shape;  // nullopt: no model or no parsed shape
  std::optional<double> memory_mb;       // resident set size
};
// The "inference" event: the tutorial's fields, with mode and shape cache
// state standing for its compilation status.
LogEvent inference_event(const RequestRecord& record, const InferenceContext& context,
                         std::chrono::system_clock::time_point time);

// Which successful inferences are logged: exactly every 1/rate-th one (by a
// counter, not at random), so a rate of 0.1 logs 10 of 100 and the log volume
// is predictable; thread-safe.
class InferenceSampler {
 public:
  explicit InferenceSampler(double rate);
  bool take();

 private:
  uint64_t parts_per_million_;
  std::atomic<uint64_t> seen_{0};
};

class EventLog {
 public:
  // "off" gives a log that writes nothing. A file that cannot be opened is an
  // error naming --log.
  static Expected<std::unique_ptr<EventLog>> open(const LogOptions& options);
  ~EventLog();  // writes what is queued, then closes
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  bool enabled() const { return logger_ != nullptr; }
  void write(const LogEvent& event);
  // Lines dropped because the writer fell behind.
  uint64_t dropped() const;

 private:
  EventLog() = default;
  struct Writer;
  std::shared_ptr<Writer> writer_;
  std::shared_ptr<void> logger_;  // spdlog::async_logger; no spdlog header here
};

}  // namespace coldbench::workload::serve
