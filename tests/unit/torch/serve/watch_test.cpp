#include "torch/serve/watch.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace coldbench::workload::serve {
namespace {

WatchOptions small_watch(const std::string& dir, const std::string& log) {
  WatchOptions options;
  options.log.target = log;
  options.log.sample = 1;
  options.anomaly.baseline = 20;
  options.anomaly.min_count = 20;
  options.anomaly.mad_window = 40;
  options.anomaly.hysteresis = {3, 5, 5};
  options.leak_enabled = false;
  options.diagnostics_dir = dir;
  return options;
}

RequestRecord served(double ms, int i) {
  RequestRecord record;
  record.request_id = "r" + std::to_string(i);
  record.model = "m";
  record.version = "v1";
  record.mode = "script";
  record.status = 200;
  record.input_shape = {1, 4};
  record.inference_ms = ms;
  record.inference_ran = true;
  return record;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(ServeWatch, LatencyStepRaisesGaugesCountersLogAndSnapshot) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("coldbench-watch-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string log_path = (dir / "serve.log").string();
  metrics::Registry registry;
  {
    auto watch = ServeWatch::create(small_watch((dir / "diag").string(), log_path), registry);
    ASSERT_TRUE(watch) << watch.error().message;
    ServedModel model{"m", "v1", "script", "cpu", {4}, {}, {}, {}, 0};
    (*watch)->watch_models({model}, true);
    (*watch)->set_in_flight([] { return int64_t{1}; });
    std::string text = registry.encode();
    EXPECT_TRUE(has_line(text, R"(model_latency_anomaly{model="m",detector="ewma"} 0)")) << text;
    EXPECT_TRUE(has_line(text, R"(model_latency_detector_ready{model="m",detector="mad"} 0)"));
    EXPECT_TRUE(has_line(text, "model_memory_leak_suspected 0"));
    EXPECT_TRUE(has_line(text, "process_resident_memory_slope_bytes_per_second 0"));
    int i = 0;
    for (; i < 60; ++i) (*watch)->observe(served(1.0 + 0.01 * (i % 5), i));
    text = registry.encode();
    EXPECT_TRUE(
        has_line(text, R"(model_latency_detector_ready{model="m",detector="baseline_3sigma"} 1)"));
    EXPECT_TRUE(has_line(text, R"(model_latency_anomalies_total{model="m",detector="mad"} 0)"));
    for (int step = 0; step < 3; ++step, ++i) (*watch)->observe(served(10.0, i));
    text = registry.encode();
    for (const char* detector : {"baseline_3sigma", "ewma", "mad"}) {
      EXPECT_TRUE(has_line(
          text, fmt::format(R"(model_latency_anomaly{{model="m",detector="{}"}} 1)", detector)))
          << text;
      EXPECT_TRUE(has_line(
          text,
          fmt::format(R"(model_latency_anomalies_total{{model="m",detector="{}"}} 1)", detector)));
    }
  }  // the log is written out when the watch goes
  int snapshots = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "diag")) {
    std::ifstream in(entry.path());
    auto document = nlohmann::json::parse(in);
    EXPECT_EQ(document["alert"], "latency_anomaly");
    EXPECT_EQ(document["model"], "m");
    EXPECT_EQ(document["in_flight"], 1);
    EXPECT_EQ(document["recent_latencies_ms"].size(), 63u);
    EXPECT_EQ(document["recent_latencies_ms"].back(), 10.0);
    EXPECT_TRUE(document["detector_state"]["ready"].get<bool>());
    ++snapshots;
  }
  EXPECT_EQ(snapshots, 3);
  std::ifstream log(log_path);
  std::string line;
  int inference = 0, started = 0, written = 0;
  std::vector<std::string> caches;
  while (std::getline(log, line)) {
    auto event = nlohmann::json::parse(line);
    if (event["event"] == "inference") {
      ++inference;
      caches.push_back(event["cache"]);
    }
    started += event["event"] == "anomaly_start" ? 1 : 0;
    written += event["event"] == "diagnostics_written" ? 1 : 0;
  }
  EXPECT_EQ(inference, 63);  // --log-sample 1: every request
  EXPECT_EQ(started, 3);
  EXPECT_EQ(written, 3);
  ASSERT_FALSE(caches.empty());
  EXPECT_EQ(caches.front(), "warm");  // [1, 4] was the warm-up shape
  std::filesystem::remove_all(dir);
}

TEST(ServeWatch, UnknownShapeIsFirstSeenOnceThenWarm) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("coldbench-watch-shape-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string log_path = (dir / "serve.log").string();
  metrics::Registry registry;
  {
    auto watch = ServeWatch::create(small_watch("", log_path), registry);
    ASSERT_TRUE(watch);
    (*watch)->watch_models({ServedModel{"m", "v1", "script", "cpu", {4}, {}, {}, {}, 0}}, true);
    RequestRecord batch8 = served(1, 0);
    batch8.input_shape = {8, 4};
    (*watch)->observe(batch8);
    (*watch)->observe(batch8);
  }
  std::ifstream log(log_path);
  std::string first, second;
  std::getline(log, first);
  std::getline(log, second);
  EXPECT_EQ(nlohmann::json::parse(first)["cache"], "first_seen");
  EXPECT_EQ(nlohmann::json::parse(second)["cache"], "warm");
  std::filesystem::remove_all(dir);
}

TEST(ServeWatch, UncreatableDiagnosticsDirNamesTheOption) {
  metrics::Registry registry;
  auto watch = ServeWatch::create(small_watch("/proc/self/no/such", "off"), registry);
  ASSERT_FALSE(watch);
  EXPECT_NE(watch.error().message.find("--diagnostics-dir"), std::string::npos);
}

}  // namespace
}  // namespace coldbench::workload::serve
