#include "torch/serve/options.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace coldbench::workload::serve
