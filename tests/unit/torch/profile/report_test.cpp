#include "torch/profile/report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace coldbench::workload {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

ProfileReport sample_report() {
  ProfileReport report;
  report.options.scenario = Scenario::kTinyOps;
  report.options.batch_size = 16;
  report.options.num_workers = 1;
  report.options.top = 2;
  report.schedule = ProfileSchedule{1, 1, 2, 1};
  report.amp = plan_amp(true, DeviceKind::kCpu);
  report.shape.tiny_ops_depth = 256;
  report.steps = {{0, StepAction::kNone, 0.010, 0.001},
                  {1, StepAction::kWarmup, 0.012, 0.003},
                  {2, StepAction::kRecord, 0.014, 0.002},
                  {3, StepAction::kRecordAndSave, 0.016, 0.002}};
  report.avg_step_time_s = mean_step_time(report.steps);
  report.avg_dataloader_wait_s = mean_data_wait(report.steps);
  report.summary.counts.steps = 2;
  report.summary.counts.op_calls = 100;
  report.summary.counts.host_reads = 2;
  report.summary.counts.alloc_events = 40;
  report.summary.self_total_ns = 30'000;
  report.summary.ops = {OpStats{"aten::tanh", false, 10, 20'000, 20'000, 0, 0, 0, 0},
                        OpStats{"aten::mul", false, 30, 8'000, 9'000, 0, 0, 5, 320},
                        OpStats{"aten::add", false, 20, 2'000, 2'000, 0, 0, 0, 0}};
  TraceWindowResult window;
  window.first_step = 2;
  window.last_step = 3;
  window.trace_path = "traces/host_1.1700000000000.pt.trace.json";
  window.counts = report.summary.counts;
  report.windows = {window};
  return report;
}

TEST(ProfileReport, MeansOverSteps) {
  ProfileReport report = sample_report();
  EXPECT_DOUBLE_EQ(report.avg_step_time_s, 0.013);
  EXPECT_DOUBLE_EQ(report.avg_dataloader_wait_s, 0.002);
  EXPECT_EQ(mean_step_time({}), 0.0);
}

TEST(ProfileReport, JsonHasTheMetricsTheDemoPromises) {
  json doc = to_json(sample_report());
  EXPECT_EQ(doc["schema"], kProfileJsonSchema);
  EXPECT_EQ(doc["config"]["scenario"], "tiny_ops");
  EXPECT_EQ(doc["config"]["batch_size"], 16);
  EXPECT_EQ(doc["config"]["num_workers"], 1);
  EXPECT_EQ(doc["config"]["amp"], false);  // options.amp, as given
  EXPECT_EQ(doc["config"]["amp_dtype"], "bfloat16");
  EXPECT_EQ(doc["config"]["schedule"]["active"], 2);
  EXPECT_EQ(doc["config"]["tiny_ops_depth"], 256);
  EXPECT_DOUBLE_EQ(doc["avg_step_time_s"].get<double>(), 0.013);
  EXPECT_DOUBLE_EQ(doc["avg_dataloader_wait_s"].get<double>(), 0.002);
  EXPECT_EQ(doc["traces"], json::array({"traces/host_1.1700000000000.pt.trace.json"}));
  EXPECT_EQ(doc["counts"]["op_calls"], 100);
  EXPECT_DOUBLE_EQ(doc["counts"]["op_calls_per_step"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(doc["counts"]["alloc_events_per_step"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(doc["counts"]["host_reads_per_step"].get<double>(), 1.0);
  EXPECT_EQ(doc["windows"][0]["first_step"], 2);
  EXPECT_EQ(doc["steps"].size(), 4u);
  EXPECT_EQ(doc["steps"][3]["action"], "record_and_save");
  ASSERT_EQ(doc["top_ops"].size(), 2u);  // --top
  EXPECT_EQ(doc["top_ops"][0]["name"], "aten::tanh");
  EXPECT_DOUBLE_EQ(doc["top_ops"][0]["self_cpu_us"].get<double>(), 20.0);
  EXPECT_EQ(doc["top_ops"][1]["alloc_events"], 5);
  EXPECT_EQ(doc["top_ops_sort"], "self_cpu_time");
  EXPECT_FALSE(doc["top_ops"][0].contains("self_device_us"));
  ASSERT_EQ(doc["top_ops_by_calls"].size(), 2u);
  EXPECT_EQ(doc["top_ops_by_calls"][0]["name"], "aten::mul");
  EXPECT_EQ(doc["top_ops_by_calls"][1]["name"], "aten::add");
}

TEST(ProfileReport, WriteJsonCreatesTheParentDirectory) {
  fs::path root = fs::temp_directory_path() / ("cb_profile_report_" + std::to_string(getpid()));
  fs::remove_all(root);
  std::string path = (root / "results" / "metrics_demo.json").string();
  auto written = write_json(sample_report(), path);
  ASSERT_TRUE(written.ok()) << written.error().message;
  std::ifstream in(path);
  json doc = json::parse(in);
  EXPECT_EQ(doc["config"]["scenario"], "tiny_ops");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  fs::remove_all(root);
}

TEST(ProfileReport, SummaryShowsTheHeadlineNumbersAndTheTable) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  ASSERT_NE(out, nullptr);
  print_summary(sample_report(), out);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  EXPECT_NE(text.find("scenario tiny_ops"), std::string::npos);
  EXPECT_NE(text.find("avg_step_time_s        0.013000"), std::string::npos);
  EXPECT_NE(text.find("avg_dataloader_wait_s  0.002000"), std::string::npos);
  EXPECT_NE(text.find("Top ops by self CPU time"), std::string::npos);
  EXPECT_NE(text.find("aten::tanh"), std::string::npos);
  EXPECT_EQ(text.find("aten::add "), std::string::npos);  // past --top 2
  EXPECT_NE(text.find("host_1.1700000000000.pt.trace.json"), std::string::npos);
}

std::string summary_text(const ProfileReport& report) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  if (out == nullptr) return "";
  print_summary(report, out);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

ProfileReport paced_report() {
  ProfileReport report = sample_report();
  report.options.scenario = Scenario::kDataloader;
  report.options.data = scenario_data_load(Scenario::kDataloader);
  DataCostSizer sizing;
  sizing.calibrate({0.010, 0.012});
  sizing.observe(0.015);
  report.data_sizing = sizing;
  report.avg_step_time_s = 0.014;
  report.avg_dataloader_wait_s = 0.0294;
  report.data_wait_ratio = wait_to_step_ratio(report.avg_dataloader_wait_s, report.avg_step_time_s);
  return report;
}

TEST(ProfileReport, DataloaderSaysHowItsDataCostWasSizedAndTheMeasuredRatio) {
  std::string text = summary_text(paced_report());
  EXPECT_NE(text.find("data wait / step       2.10"), std::string::npos) << text;
  EXPECT_NE(text.find("data cost sized from the training step, so that waiting for data takes "
                      ">= 2.0x the step"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("one batch per 3.0 x the slowest step so far (2 calibration steps: 12.00 ms; "
                      "slowest of the run: 15.00 ms) = 45.00 ms"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("measured: data wait / step = 2.10 (target >= 2.0): data-bound, as designed"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("cpu_work 4000, then a paced storage (below)"), std::string::npos) << text;

  json doc = to_json(paced_report());
  EXPECT_DOUBLE_EQ(doc["data_wait_ratio"].get<double>(), 2.1);
  EXPECT_TRUE(doc["config"]["paced_storage"].get<bool>());
  const json& sizing = doc["data_sizing"];
  EXPECT_DOUBLE_EQ(sizing["target_wait_ratio"].get<double>(), kDataWaitTarget);
  EXPECT_EQ(sizing["calibration_steps_s"].size(), 2u);
  EXPECT_DOUBLE_EQ(sizing["calibration_step_s"].get<double>(), 0.012);
  EXPECT_DOUBLE_EQ(sizing["reference_step_s"].get<double>(), 0.015);
  EXPECT_DOUBLE_EQ(sizing["initial_batch_interval_ms"].get<double>(), 36.0);
  EXPECT_DOUBLE_EQ(sizing["batch_interval_ms"].get<double>(), 45.0);
  EXPECT_DOUBLE_EQ(sizing["measured_wait_ratio"].get<double>(), 2.1);
}

TEST(ProfileReport, OtherScenariosShowTheRatioWithoutSizing) {
  ProfileReport report = sample_report();
  report.data_wait_ratio = wait_to_step_ratio(report.avg_dataloader_wait_s, report.avg_step_time_s);
  std::string text = summary_text(report);
  EXPECT_NE(text.find("data wait / step       0.15"), std::string::npos) << text;
  EXPECT_EQ(text.find("data cost sized"), std::string::npos);
  json doc = to_json(report);
  EXPECT_TRUE(doc["data_sizing"].is_null());
  EXPECT_FALSE(doc["config"]["paced_storage"].get<bool>());
  EXPECT_EQ(wait_to_step_ratio(0.5, 0.0), 0.0);
}

}  // namespace
}  // namespace coldbench::workload
