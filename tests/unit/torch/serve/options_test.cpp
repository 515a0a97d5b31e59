#include "torch/serve/options.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace coldbench::workload::serve {
namespace {

RawServeArgs with_model() {
  RawServeArgs raw;
  raw.models = {"tiny_cnn"};
  return raw;
}

TEST(ServeOptions, DefaultsBindLoopbackWithDefaultBuckets) {
  auto options = validate(with_model());
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->host, "127.0.0.1");
  EXPECT_EQ(options->models.size(), 1u);
  EXPECT_EQ(options->models[0].source, "tiny_cnn");
  EXPECT_TRUE(options->models[0].name.empty());
  EXPECT_FALSE(options->buckets.empty());
}

TEST(ServeOptions, ModelSpecNameEqualsPath) {
  auto spec = parse_model_spec("cnn=/tmp/a=b.pt");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->name, "cnn");
  EXPECT_EQ(spec->source, "/tmp/a=b.pt");
  EXPECT_FALSE(parse_model_spec("bad name=/x.pt"));
  EXPECT_FALSE(parse_model_spec("cnn="));
  EXPECT_FALSE(parse_model_spec(""));
}

TEST(ServeOptions, EveryBadValueNamesItsOption) {
  struct Case {
    const char* flag;
    void (*apply)(RawServeArgs&);
  };
  const Case cases[] = {
      {"--model", [](RawServeArgs& r) { r.models.clear(); }},
      {"--mode", [](RawServeArgs& r) { r.mode = "script,frozen"; }},
      {"--mode", [](RawServeArgs& r) { r.mode = "fast"; }},
      {"--port", [](RawServeArgs& r) { r.port = 70000; }},
      {"--port", [](RawServeArgs& r) { r.port = -1; }},
      {"--threads", [](RawServeArgs& r) { r.threads = -2; }},
      {"--warmup", [](RawServeArgs& r) { r.warmup = -1; }},
      {"--max-body", [](RawServeArgs& r) { r.max_body = 0; }},
      {"--workers", [](RawServeArgs& r) { r.workers = 0; }},
      {"--queue", [](RawServeArgs& r) { r.queue = -1; }},
      {"--read-timeout", [](RawServeArgs& r) { r.read_timeout_s = 0; }},
      {"--host", [](RawServeArgs& r) { r.host = " "; }},
      {"--buckets", [](RawServeArgs& r) { r.buckets = "0.1,0.01"; }},
      {"--fault", [](RawServeArgs& r) { r.fault = "explode"; }},
      {"--log", [](RawServeArgs& r) { r.log = " "; }},
      {"--log-sample", [](RawServeArgs& r) { r.log_sample = 1.5; }},
      {"--log-sample", [](RawServeArgs& r) { r.log_sample = -0.1; }},
      {"--log-sample", [](RawServeArgs& r) { r.log_sample = std::nan(""); }},
      {"--log-max-bytes", [](RawServeArgs& r) { r.log_max_bytes = -1; }},
      {"--log-files", [](RawServeArgs& r) { r.log_files = 0; }},
      {"--anomaly-detectors", [](RawServeArgs& r) { r.anomaly_detectors = "zscore"; }},
      {"--anomaly-baseline", [](RawServeArgs& r) { r.anomaly_baseline = 1; }},
      {"--anomaly-sigma", [](RawServeArgs& r) { r.anomaly_sigma = 0; }},
      {"--anomaly-ewma-alpha", [](RawServeArgs& r) { r.anomaly_ewma_alpha = 1.5; }},
      {"--anomaly-ewma-z", [](RawServeArgs& r) { r.anomaly_ewma_z = -3; }},
      {"--anomaly-mad-k", [](RawServeArgs& r) { r.anomaly_mad_k = std::nan(""); }},
      {"--anomaly-mad-window", [](RawServeArgs& r) { r.anomaly_mad_window = 2; }},
      {"--anomaly-min-count", [](RawServeArgs& r) { r.anomaly_min_count = 0; }},
      {"--anomaly-min-count", [](RawServeArgs& r) { r.anomaly_min_count = 500; }},  // > mad window
      {"--anomaly-floor", [](RawServeArgs& r) { r.anomaly_floor = -1; }},
      {"--anomaly-raise-after", [](RawServeArgs& r) { r.anomaly_raise_after = 11; }},  // > window
      {"--anomaly-raise-window", [](RawServeArgs& r) { r.anomaly_raise_window = 0; }},
      {"--anomaly-clear-after", [](RawServeArgs& r) { r.anomaly_clear_after = 0; }},
      {"--leak-sample-ms", [](RawServeArgs& r) { r.leak_sample_ms = -5; }},
      {"--leak-window-s", [](RawServeArgs& r) { r.leak_window_s = 0; }},
      {"--leak-window-s", [](RawServeArgs& r) { r.leak_window_s = 0.5; }},  // < 8 samples of 1 s
      {"--leak-threshold", [](RawServeArgs& r) { r.leak_threshold = 0; }},
  };
  for (const Case& c : cases) {
    RawServeArgs raw = with_model();
    c.apply(raw);
    auto options = validate(raw);
    ASSERT_FALSE(options) << c.flag;
    EXPECT_NE(options.error().message.find(c.flag), std::string::npos) << options.error().message;
    EXPECT_EQ(options.error().exit_code, kExitUsage);
  }
}

TEST(ServeOptions, FaultPlan) {
  auto plan = parse_fault("throw-after:3,delay-ms:20");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->throw_after, 3);
  EXPECT_EQ(plan->delay_ms, 20);
  EXPECT_FALSE(parse_fault("throw-after:"));
  EXPECT_FALSE(parse_fault("throw-after:-1"));
  EXPECT_FALSE(parse_fault("delay-ms:x"));
}

TEST(ServeOptions, WatchFaults) {
  auto plan = parse_fault("leak-per-request:1048576, delay-after:20:100,stall-at:5:300");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->leak_per_request, 1048576);
  EXPECT_EQ(plan->delay_after, 20);
  EXPECT_EQ(plan->delay_after_ms, 100);
  EXPECT_EQ(plan->stall_at, 5);
  EXPECT_EQ(plan->stall_ms, 300);
  for (const char* bad : {"leak-per-request:0", "leak-per-request:-1", "leak-per-request:1:2",
                          "delay-after:20", "delay-after:20:", "delay-after:-1:5",
                          "delay-after:1:700000", "stall-at:0:100", "stall-at:3", "delay-ms:1:2",
                          "throw-after:1:2", "leak-per-request:2000000000"}) {
    auto rejected = parse_fault(bad);
    ASSERT_FALSE(rejected) << bad;
    EXPECT_NE(rejected.error().message.find("--fault"), std::string::npos);
    EXPECT_NE(rejected.error().message.find("stall-at:K:MS"), std::string::npos);
  }
}

TEST(ServeOptions, WatchDefaults) {
  auto options = validate(with_model());
  ASSERT_TRUE(options) << options.error().message;
  const WatchOptions& watch = options->watch;
  EXPECT_EQ(watch.log.target, "stderr");
  EXPECT_DOUBLE_EQ(watch.log.sample, 0.01);
  EXPECT_EQ(watch.detectors.size(), 3u);
  EXPECT_TRUE(watch.leak_enabled);
  EXPECT_TRUE(watch.diagnostics_dir.empty());
  RawServeArgs off = with_model();
  off.leak_sample_ms = 0;
  off.anomaly_detectors = "none";
  off.log = "off";
  options = validate(off);
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_FALSE(options->watch.leak_enabled);
  EXPECT_TRUE(options->watch.detectors.empty());
}

TEST(ServeOptions, ModelSpecTakesAModeSuffix) {
  auto spec = parse_model_spec("slow=mobilenet_v2@script");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->name, "slow");
  EXPECT_EQ(spec->source, "mobilenet_v2");
  ASSERT_TRUE(spec->mode);
  EXPECT_EQ(*spec->mode, Mode::kScript);
  spec = parse_model_spec("/models/x@2.pt");  // not a mode: part of the path
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->source, "/models/x@2.pt");
  EXPECT_FALSE(spec->mode);
}

TEST(ServeOptions, AbArmsAndCanaryStages) {
  RawServeArgs raw = with_model();
  raw.ab = "B=slow, A=fast";
  raw.ab_ratio = 0.25;
  auto options = validate(raw);
  ASSERT_TRUE(options) << options.error().message;
  ASSERT_TRUE(options->ab);
  EXPECT_EQ(options->ab->a, "fast");
  EXPECT_EQ(options->ab->b, "slow");
  EXPECT_DOUBLE_EQ(options->ab->ratio, 0.25);
  EXPECT_FALSE(options->ab->canary);
  raw.canary = true;
  options = validate(raw);
  ASSERT_TRUE(options) << options.error().message;
  ASSERT_TRUE(options->ab->canary);
  EXPECT_EQ(options->ab->canary->stages, (std::vector<int>{1, 5, 20, 50, 100}));
  EXPECT_FALSE(validate(with_model())->ab);
}

TEST(ServeOptions, BadAbValuesNameTheirOption) {
  struct Case {
    const char* flag;
    void (*apply)(RawServeArgs&);
  };
  const Case cases[] = {
      {"--ab", [](RawServeArgs& r) { r.ab = "A=x"; }},
      {"--ab", [](RawServeArgs& r) { r.ab = "A=x,A=y"; }},
      {"--ab", [](RawServeArgs& r) { r.ab = "A=x,C=y"; }},
      {"--ab-ratio", [](RawServeArgs& r) { r.ab_ratio = 1.5; }},
      {"--ab-threshold", [](RawServeArgs& r) { r.ab_threshold = 0; }},
      {"--ab-window", [](RawServeArgs& r) { r.ab_window = 1; }},
      {"--canary-stages", [](RawServeArgs& r) { r.canary = true, r.canary_stages = "5,1,100"; }},
      {"--canary-stages", [](RawServeArgs& r) { r.canary = true, r.canary_stages = "1,5,50"; }},
      {"--canary-stages", [](RawServeArgs& r) { r.canary = true, r.canary_stages = "0,100"; }},
      {"--canary-margin", [](RawServeArgs& r) { r.canary = true, r.canary_margin = -1; }},
      {"--canary-error-margin",
       [](RawServeArgs& r) { r.canary = true, r.canary_error_margin = 1; }},
      {"--canary-stage-seconds",
       [](RawServeArgs& r) { r.canary = true, r.canary_stage_seconds = -1; }},
  };
  for (const Case& c : cases) {
    RawServeArgs raw = with_model();
    raw.ab = "A=fast,B=slow";
    c.apply(raw);
    auto options = validate(raw);
    ASSERT_FALSE(options) << c.flag;
    EXPECT_NE(options.error().message.find(c.flag), std::string::npos) << options.error().message;
    EXPECT_EQ(options.error().exit_code, kExitUsage);
  }
  RawServeArgs canary_alone = with_model();
  canary_alone.canary = true;
  auto options = validate(canary_alone);
  ASSERT_FALSE(options);
  EXPECT_NE(options.error().message.find("--ab"), std::string::npos);
}

}  // namespace
TEST(SpinWaitNotice, OnlyForSeveralOpenMpThreadsWithTheDefaultPolicy) {
  auto notice = spin_wait_notice(true, 2, nullptr, nullptr);
  ASSERT_TRUE(notice.has_value());
  EXPECT_NE(notice->find("2 OpenMP threads"), std::string::npos) << *notice;
  EXPECT_NE(notice->find("OMP_WAIT_POLICY=PASSIVE"), std::string::npos) << *notice;
  EXPECT_FALSE(spin_wait_notice(true, 1, nullptr, nullptr));           // no team, no spinning
  EXPECT_FALSE(spin_wait_notice(false, 4, nullptr, nullptr));          // not OpenMP
  EXPECT_FALSE(spin_wait_notice(true, 2, "PASSIVE", nullptr));         // the user chose
  EXPECT_FALSE(spin_wait_notice(true, 2, "ACTIVE", nullptr));
  EXPECT_FALSE(spin_wait_notice(true, 2, nullptr, "100"));
}

}  // namespace coldbench::workload::serve
