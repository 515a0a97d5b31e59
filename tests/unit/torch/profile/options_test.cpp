#include "torch/profile/options.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "torch/profile/schedule.hpp"

namespace coldbench::workload {
namespace {

bool mentions(const Error& error, std::string_view text) {
  return error.message.find(text) != std::string::npos;
}

TEST(ProfileScenario, NamesRoundTrip) {
  for (Scenario scenario : {Scenario::kBaseline, Scenario::kDataloader, Scenario::kSync,
                            Scenario::kTinyOps, Scenario::kMemoryChurn}) {
    auto parsed = parse_scenario(scenario_name(scenario));
    ASSERT_TRUE(parsed.ok()) << scenario_name(scenario);
    EXPECT_EQ(*parsed, scenario);
  }
  EXPECT_EQ(*parse_scenario("tiny-ops"), Scenario::kTinyOps);
  EXPECT_EQ(*parse_scenario("memory-churn"), Scenario::kMemoryChurn);
}

TEST(ProfileScenario, UnknownNameListsTheChoices) {
  auto parsed = parse_scenario("slow_disk");
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(mentions(parsed.error(), "'slow_disk'"));
  EXPECT_TRUE(mentions(parsed.error(), kScenarioList));
  EXPECT_EQ(parsed.error().exit_code, kExitUsage);
}

TEST(ProfileScenario, OnlyDataloaderLoadsSlowly) {
  // dataloader's storage is paced from the measured step (profile_data_sizing.hpp),
  // not a fixed per-sample sleep that a slow enough step hides.
  EXPECT_EQ(scenario_data_load(Scenario::kDataloader).cpu_work, 4000);
  EXPECT_EQ(scenario_data_load(Scenario::kDataloader).io_sleep_ms, 0.0);
  EXPECT_TRUE(scenario_data_load(Scenario::kDataloader).paced);
  for (Scenario scenario :
       {Scenario::kBaseline, Scenario::kSync, Scenario::kTinyOps, Scenario::kMemoryChurn}) {
    EXPECT_EQ(scenario_data_load(scenario).cpu_work, 200);
    EXPECT_EQ(scenario_data_load(scenario).io_sleep_ms, 0.0);
    EXPECT_FALSE(scenario_data_load(scenario).paced);
  }
}

TEST(ProfileDevice, AutoPicksCudaOnlyWhenUsable) {
  EXPECT_EQ(*resolve_device(DeviceRequest::kAuto, false), DeviceKind::kCpu);
  EXPECT_EQ(*resolve_device(DeviceRequest::kAuto, true), DeviceKind::kCuda);
  EXPECT_EQ(*resolve_device(DeviceRequest::kCpu, true), DeviceKind::kCpu);
  EXPECT_EQ(*resolve_device(DeviceRequest::kCuda, true), DeviceKind::kCuda);
}

TEST(ProfileDevice, CudaWithoutCudaIsAnInputErrorWithAFix) {
  auto device = resolve_device(DeviceRequest::kCuda, false);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.error().exit_code, kExitUsage);
  EXPECT_TRUE(mentions(device.error(), "--device cuda"));
  EXPECT_TRUE(mentions(device.error(), "--device cpu"));
}

TEST(ProfileDevice, ParsesNames) {
  EXPECT_EQ(*parse_device("auto"), DeviceRequest::kAuto);
  EXPECT_EQ(*parse_device("cpu"), DeviceRequest::kCpu);
  EXPECT_EQ(*parse_device("cuda"), DeviceRequest::kCuda);
  auto bad = parse_device("tpu");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(mentions(bad.error(), "auto, cpu or cuda"));
}

TEST(ProfileAmp, Bfloat16OnCpuFloat16WithScalingOnCuda) {
  EXPECT_FALSE(plan_amp(false, DeviceKind::kCpu).enabled);
  AmpPlan cpu = plan_amp(true, DeviceKind::kCpu);
  EXPECT_TRUE(cpu.enabled);
  EXPECT_EQ(cpu.dtype, "bfloat16");
  EXPECT_FALSE(cpu.loss_scaling);
  AmpPlan cuda = plan_amp(true, DeviceKind::kCuda);
  EXPECT_EQ(cuda.dtype, "float16");
  EXPECT_TRUE(cuda.loss_scaling);
}

TEST(ProfileValidate, DefaultsAreTheOriginalDemos) {
  auto options = validate(RawProfileArgs{});
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->scenario, Scenario::kDataloader);
  EXPECT_EQ(options->batch_size, 64);
  EXPECT_EQ(options->num_workers, 2);
  EXPECT_EQ(options->warmup_steps, 10);
  EXPECT_EQ(options->profile_steps, 8);
  EXPECT_EQ(options->trace_dir, "results/traces/profiler_demo");
  EXPECT_EQ(options->output_json, "results/metrics_demo.json");
  EXPECT_EQ(options->device, DeviceRequest::kAuto);
  EXPECT_EQ(options->data.cpu_work, 4000);
  EXPECT_EQ(options->data.io_sleep_ms, 0.0);
  EXPECT_TRUE(options->data.paced);
  EXPECT_FALSE(options->amp);
  EXPECT_FALSE(options->pin_memory);
  EXPECT_FALSE(options->with_stack);
}

TEST(ProfileValidate, DataLoadFollowsTheScenarioUnlessOverridden) {
  RawProfileArgs raw;
  raw.scenario = "sync";
  EXPECT_EQ(validate(raw)->data.cpu_work, 200);
  raw.cpu_work = 0;
  raw.io_sleep_ms = 1.5;
  auto options = validate(raw);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->data.cpu_work, 0);
  EXPECT_EQ(options->data.io_sleep_ms, 1.5);
}

TEST(ProfileValidate, IoSleepReplacesTheDataloadersPacedStorage) {
  RawProfileArgs raw;
  raw.scenario = "dataloader";
  raw.cpu_work = 100;  // the CPU side alone keeps the pacing
  EXPECT_TRUE(validate(raw)->data.paced);
  raw.io_sleep_ms = 2.0;
  auto options = validate(raw);
  ASSERT_TRUE(options.ok());
  EXPECT_FALSE(options->data.paced);
  EXPECT_EQ(options->data.io_sleep_ms, 2.0);
}

TEST(ProfileValidate, RejectsEachBadValueNamingTheOption) {
  struct Case {
    const char* option;
    void (*apply)(RawProfileArgs&);
  };
  const Case cases[] = {
      {"--batch-size", [](RawProfileArgs& r) { r.batch_size = 0; }},
      {"--batch-size", [](RawProfileArgs& r) { r.batch_size = -3; }},
      {"--num-workers", [](RawProfileArgs& r) { r.num_workers = -1; }},
      {"--warmup", [](RawProfileArgs& r) { r.warmup_steps = -1; }},
      {"--profile-steps", [](RawProfileArgs& r) { r.profile_steps = 0; }},
      {"--repeat", [](RawProfileArgs& r) { r.repeat = 0; }},
      {"--trace-dir", [](RawProfileArgs& r) { r.trace_dir.clear(); }},
      {"--seed", [](RawProfileArgs& r) { r.seed = -1; }},
      {"--device", [](RawProfileArgs& r) { r.device = "gpu0"; }},
      {"--image-size", [](RawProfileArgs& r) { r.image_size = 4; }},
      {"--image-size", [](RawProfileArgs& r) { r.image_size = 100000; }},
      {"--threads", [](RawProfileArgs& r) { r.threads = -2; }},
      {"--top", [](RawProfileArgs& r) { r.top = 0; }},
      {"--cpu-work", [](RawProfileArgs& r) { r.cpu_work = -5; }},
      {"--io-sleep-ms", [](RawProfileArgs& r) { r.io_sleep_ms = -1.0; }},
      {"--io-sleep-ms",
       [](RawProfileArgs& r) { r.io_sleep_ms = std::numeric_limits<double>::infinity(); }},
      {"--scenario", [](RawProfileArgs& r) { r.scenario = ""; }},
  };
  for (const Case& c : cases) {
    RawProfileArgs raw;
    c.apply(raw);
    auto options = validate(raw);
    ASSERT_FALSE(options.ok()) << c.option;
    EXPECT_EQ(options.error().exit_code, kExitUsage) << c.option;
    EXPECT_TRUE(mentions(options.error(), c.option)) << c.option << ": " << options.error().message;
  }
}

TEST(ProfileValidate, EmptyOutputJsonMeansNone) {
  RawProfileArgs raw;
  raw.output_json.clear();
  auto options = validate(raw);
  ASSERT_TRUE(options.ok());
  EXPECT_TRUE(options->output_json.empty());
}

TEST(ProfileSchedule, WaitWarmupActiveThenSave) {
  ProfileSchedule schedule{1, 1, 3, 1};
  EXPECT_EQ(schedule.total_steps(), 5);
  EXPECT_EQ(schedule.action(0), StepAction::kNone);
  EXPECT_EQ(schedule.action(1), StepAction::kWarmup);
  EXPECT_EQ(schedule.action(2), StepAction::kRecord);
  EXPECT_EQ(schedule.action(3), StepAction::kRecord);
  EXPECT_EQ(schedule.action(4), StepAction::kRecordAndSave);
  EXPECT_EQ(schedule.action(5), StepAction::kNone);
  EXPECT_EQ(schedule.action(-1), StepAction::kNone);
}

TEST(ProfileSchedule, RepeatGivesOneSavePerWindow) {
  ProfileSchedule schedule{1, 1, 2, 3};
  int saves = 0;
  for (int step = 0; step < schedule.total_steps(); ++step) {
    if (schedule.action(step) == StepAction::kRecordAndSave) ++saves;
  }
  EXPECT_EQ(saves, 3);
  EXPECT_EQ(schedule.action(4), StepAction::kNone);  // the second cycle waits again
  EXPECT_EQ(schedule.action(7), StepAction::kRecordAndSave);
}

TEST(ProfileSchedule, SingleActiveStepSavesAtOnce) {
  ProfileSchedule schedule{1, 1, 1, 1};
  EXPECT_EQ(schedule.action(2), StepAction::kRecordAndSave);
  EXPECT_STREQ(step_action_name(StepAction::kRecordAndSave), "record_and_save");
}

}  // namespace
}  // namespace coldbench::workload
