#include "torch/serve/structured_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

namespace coldbench::workload::serve {
namespace {

std::chrono::system_clock::time_point at_ms(int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

TEST(StructuredLog, TimestampIsRfc3339UtcWithMilliseconds) {
  EXPECT_EQ(rfc3339_utc_ms(at_ms(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339_utc_ms(at_ms(1'796'226'203'007)), "2026-12-02T15:43:23.007Z");
}

TEST(StructuredLog, InferenceEventHasTheTutorialsFields) {
  RequestRecord record;
  record.request_id = "req-\"1\"\n";  // escaped by the JSON builder, not by hand
  record.model = "tiny_cnn";
  record.version = "abc";
  record.mode = "script";
  record.status = 200;
  record.input_shape = {4, 3, 32, 32};
  record.inference_ms = 1.5;
  record.inference_ran = true;
  LogEvent event = inference_event(record, {true, 123.5}, at_ms(0));
  const std::string line = event.dump();
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["event"], "inference");
  EXPECT_EQ(parsed["timestamp"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(parsed["request_id"], "req-\"1\"\n");
  EXPECT_EQ(parsed["model_version"], "abc");
  EXPECT_EQ(parsed["mode"], "script");
  EXPECT_EQ(parsed["cache"], "first_seen");
  EXPECT_EQ(parsed["input_shape"], nlohmann::json({4, 3, 32, 32}));
  EXPECT_EQ(parsed["batch_size"], 4);
  EXPECT_EQ(parsed["latency_ms"], 1.5);
  EXPECT_EQ(parsed["memory_mb"], 123.5);
  EXPECT_TRUE(parsed["error_type"].is_null());
  EXPECT_EQ(line.find('\n'), std::string::npos);    // one line
  EXPECT_EQ(line.rfind("{\"timestamp\":", 0), 0u);  // timestamp first, as people grep it

  RequestRecord failed;
  failed.request_id = "x";
  failed.status = 404;
  failed.error_type = "unknown_model";
  auto error = nlohmann::json::parse(inference_event(failed, {}, at_ms(0)).dump());
  EXPECT_EQ(error["error_type"], "unknown_model");
  EXPECT_TRUE(error["model"].is_null());
  EXPECT_TRUE(error["latency_ms"].is_null());
  EXPECT_TRUE(error["cache"].is_null());
}

TEST(StructuredLog, SamplerTakesExactlyEveryNth) {
  for (auto [rate, of_1000] :
       {std::pair{1.0, 1000}, {0.1, 100}, {0.01, 10}, {0.25, 250}, {0.0, 0}}) {
    InferenceSampler sampler(rate);
    int taken = 0;
    for (int i = 0; i < 1000; ++i) taken += sampler.take() ? 1 : 0;
    EXPECT_EQ(taken, of_1000) << rate;
  }
  InferenceSampler tenth(0.1);
  for (int i = 1; i <= 30; ++i) EXPECT_EQ(tenth.take(), i % 10 == 0) << i;
}

TEST(StructuredLog, FileLogWritesOneJsonObjectPerLine) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("coldbench-log-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "serve.log").string();
  {
    LogOptions options;
    options.target = path;
    auto log = EventLog::open(options);
    ASSERT_TRUE(log) << log.error().message;
    for (int i = 0; i < 50; ++i) {
      LogEvent event = log_event("server_ready", at_ms(i));
      event["n"] = i;
      (*log)->write(event);
    }
  }  // closing writes what is queued
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    auto parsed = nlohmann::json::parse(line);
    EXPECT_EQ(parsed["n"], lines);
    ++lines;
  }
  EXPECT_EQ(lines, 50);
  std::filesystem::remove_all(dir);
}

TEST(StructuredLog, FileRotatesPastMaxBytesKeepingLogFiles) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("coldbench-log-rotate-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    LogOptions options;
    options.target = (dir / "serve.log").string();
    options.max_bytes = 4096;
    options.files = 2;
    auto log = EventLog::open(options);
    ASSERT_TRUE(log) << log.error().message;
    LogEvent event = log_event("inference", at_ms(0));
    event["padding"] = std::string(200, 'x');
    for (int i = 0; i < 200; ++i) (*log)->write(event);  // ~50 kB
  }
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
    EXPECT_LE(entry.file_size(), 4096u) << names.back();
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"serve.1.log", "serve.2.log", "serve.log"}));
  std::filesystem::remove_all(dir);
}

TEST(StructuredLog, UnwritableFileNamesTheOption) {
  LogOptions options;
  options.target = "/proc/no/such/dir/serve.log";
  auto log = EventLog::open(options);
  ASSERT_FALSE(log);
  EXPECT_NE(log.error().message.find("--log"), std::string::npos) << log.error().message;
  EXPECT_NE(log.error().message.find("fix:"), std::string::npos);
}

// A log on stderr that nobody reads (a full pipe) blocks the writer thread;
// closing the log used to wait for it for ever, so the server never exited.
TEST(StructuredLog, ClosingDoesNotHangOnAStderrNobodyReads) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::fflush(stderr);
  const int saved = ::dup(2);
  ASSERT_GE(saved, 0);
  ASSERT_EQ(::dup2(fds[1], 2), 2);
  auto result = std::make_shared<std::promise<std::string>>();
  std::future<std::string> closed = result->get_future();
  // Detached: if the close hangs, the test fails instead of hanging too.
  std::thread([result] {
    LogOptions options;  // stderr
    auto log = EventLog::open(options);
    if (!log) return result->set_value(log.error().message);
    LogEvent event = log_event("inference", at_ms(0));
    event["padding"] = std::string(1000, 'x');
    for (int i = 0; i < 200; ++i) (*log)->write(event);  // 200 kB: far more than a pipe holds
    log->reset();
    result->set_value("");
  }).detach();
  // The close gives a blocked writer 2 s; 60 s is only a bound on a hang.
  const bool ready = closed.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  ::dup2(saved, 2);
  ::close(saved);
  ASSERT_TRUE(ready) << "closing the log hung on a blocked writer";
  EXPECT_EQ(closed.get(), "");
  // The pipe stays open: the left-behind writer is still blocked in it, and
  // closing the read end would end that write with SIGPIPE, killing the test.
}

TEST(StructuredLog, OffWritesNothing) {
  LogOptions options;
  options.target = "off";
  auto log = EventLog::open(options);
  ASSERT_TRUE(log);
  EXPECT_FALSE((*log)->enabled());
  (*log)->write(log_event("inference", at_ms(0)));
  EXPECT_EQ((*log)->dropped(), 0u);
}

}  // namespace
}  // namespace coldbench::workload::serve
