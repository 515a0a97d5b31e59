#include "torch/serve/structured_log.hpp"

#include <fmt/format.h>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <ctime>
#include <future>
#include <thread>

#include "core/json_text.hpp"

namespace coldbench::workload::serve {
namespace {

constexpr size_t kQueuedLines = 8192;
constexpr auto kCloseTimeout = std::chrono::seconds(2);

// stderr through write(2), not the stderr FILE: a write that blocks (a pipe
// nobody reads) must not hold the FILE lock that exit() takes to flush
// std::cerr, or the server could never exit.
class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    const char* data = line.data();
    size_t left = line.size();
    while (left > 0) {
      const ssize_t wrote = ::write(STDERR_FILENO, data, left);
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) return;  // stderr closed: the line is lost, serving goes on
      data += wrote;
      left -= static_cast<size_t>(wrote);
    }
  }
  void flush_() override {}
};

}  // namespace

std::string rfc3339_utc_ms(std::chrono::system_clock::time_point time) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03}Z", text, ms.count() % 1000);
}

LogEvent log_event(std::string_view name, std::chrono::system_clock::time_point time) {
  LogEvent event;
  event["timestamp"] = rfc3339_utc_ms(time);
  event["event"] = name;
  return event;
}

LogEvent inference_event(const RequestRecord& record, const InferenceContext& context,
                         std::chrono::system_clock::time_point time) {
  LogEvent event = log_event("inference", time);
  auto or_null = [](const std::string& text) { return text.empty() ? LogEvent() : LogEvent(text); };
  event["request_id"] = record.request_id;
  event["model"] = or_null(record.model);
  event["model_version"] = or_null(record.version);
  event["mode"] = or_null(record.mode);
  event["cache"] = context.first_seen_shape
                       ? LogEvent(*context.first_seen_shape ? "first_seen" : "warm")
                       : LogEvent();
  event["input_shape"] = record.input_shape.empty() ? LogEvent() : LogEvent(record.input_shape);
  event["batch_size"] = record.input_shape.empty() ? LogEvent() : LogEvent(record.input_shape[0]);
  event["status"] = record.status;
  event["error_type"] = or_null(record.error_type);
  event["latency_ms"] =
      record.inference_ran || record.inference_ms > 0 ? LogEvent(record.inference_ms) : LogEvent();
  event["queue_ms"] = record.queue_ms;
  event["memory_mb"] = context.memory_mb ? LogEvent(*context.memory_mb) : LogEvent();
  return event;
}

InferenceSampler::InferenceSampler(double rate)
    : parts_per_million_(static_cast<uint64_t>(std::llround(std::clamp(rate, 0.0, 1.0) * 1e6))) {}

bool InferenceSampler::take() {
  // The i-th success is taken when floor(i * rate) steps up: exactly
  // round(n * rate) of the first n, evenly spread.
  const uint64_t i = seen_.fetch_add(1, std::memory_order_relaxed) + 1;
  return (i * parts_per_million_) / 1'000'000 > ((i - 1) * parts_per_million_) / 1'000'000;
}

struct EventLog::Writer {
  std::shared_ptr<spdlog::details::thread_pool> pool;
};

Expected<std::unique_ptr<EventLog>> EventLog::open(const LogOptions& options) {
  std::unique_ptr<EventLog> log(new EventLog());
  if (options.target == "off") return log;
  spdlog::sink_ptr sink;
  try {
    if (options.target == "stderr") {
      sink = std::make_shared<StderrSink>();
    } else if (options.max_bytes > 0) {
      sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          options.target, static_cast<size_t>(options.max_bytes),
          static_cast<size_t>(options.files));
    } else {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.target);
    }
  } catch (const std::exception& e) {
    return make_error("--log {}: cannot open it ({}). fix: a writable file path, stderr, or off",
                      options.target, e.what());
  }
  sink->set_pattern("%v");  // the line is already JSON, with its own timestamp
  log->writer_ = std::make_shared<Writer>();
  log->writer_->pool = std::make_shared<spdlog::details::thread_pool>(kQueuedLines, 1);
  auto logger = std::make_shared<spdlog::async_logger>(
      "serve", sink, log->writer_->pool, spdlog::async_overflow_policy::overrun_oldest);
  logger->set_level(spdlog::level::info);
  // Flushed by the writer thread after each line, so `tail -f` and tests see
  // lines at once; the request thread never waits for it.
  logger->flush_on(spdlog::level::info);
  log->logger_ = logger;
  return log;
}

EventLog::~EventLog() {
  if (!logger_) return;
  // The pool's destructor writes what is queued and joins its thread, which
  // never returns while a write blocks (stderr a pipe nobody reads): wait a
  // bounded time, then leave that thread behind so the server still exits.
  auto closing = std::make_shared<std::promise<void>>();
  std::future<void> closed = closing->get_future();
  std::thread closer([logger = std::move(logger_), writer = std::move(writer_), closing]() mutable {
    std::static_pointer_cast<spdlog::async_logger>(logger)->flush();
    logger.reset();
    writer.reset();
    closing->set_value();
  });
  if (closed.wait_for(kCloseTimeout) == std::future_status::ready) {
    closer.join();
  } else {
    closer.detach();
  }
}

void EventLog::write(const LogEvent& event) {
  if (!logger_) return;
  const std::string line = json_text(event);
  static_cast<spdlog::async_logger*>(logger_.get())
      ->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
}

uint64_t EventLog::dropped() const {
  return writer_ ? writer_->pool->overrun_counter() : 0;
}

}  // namespace coldbench::workload::serve
