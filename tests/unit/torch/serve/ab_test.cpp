#include "torch/serve/ab.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace coldbench::workload::serve {
namespace {

AbOptions arms(double ratio) {
  AbOptions options;
  options.a = "fast";
  options.b = "slow";
  options.ratio = ratio;
  return options;
}

RequestRecord served(const std::string& arm, double ms, int status = 200) {
  RequestRecord record;
  record.arm = arm;
  record.model = arm == "B" ? "slow" : "fast";
  record.status = status;
  if (status >= 400) record.error_type = status >= 500 ? "model_error" : "invalid_shape";
  record.inference_ran = status == 200;
  record.inference_ms = ms;
  return record;
}

TEST(AbExperiment, RoutesOnlyRequestsToArmA) {
  metrics::Registry registry;
  AbExperiment ab(arms(0.5), registry, metrics::default_latency_buckets(), {});
  EXPECT_FALSE(ab.route("slow", "x"));
  EXPECT_FALSE(ab.route("other", "x"));
  int b = 0;
  for (int i = 0; i < 1000; ++i) {
    auto arm = ab.route("fast", "id" + std::to_string(i));
    ASSERT_TRUE(arm);
    if (*arm == Arm::kB) ++b;
  }
  EXPECT_GT(b, 400);
  EXPECT_LT(b, 600);
  EXPECT_EQ(ab.model_of(Arm::kB), "slow");
}

TEST(AbExperiment, MetricsAreLabelledByArm) {
  metrics::Registry registry;
  AbExperiment ab(arms(0.1), registry, metrics::default_latency_buckets(), {});
  const std::string before = registry.encode();
  EXPECT_NE(before.find(R"(ab_requests_total{arm="B",model="slow",outcome="ok"} 0)"),
            std::string::npos)
      << before;
  ab.observe(served("B", 5));
  ab.observe(served("A", 5, 500));
  ab.observe(served("A", 5, 400));  // a client error says nothing about the arm
  const std::string after = registry.encode();
  EXPECT_NE(after.find(R"(ab_requests_total{arm="B",model="slow",outcome="ok"} 1)"),
            std::string::npos);
  EXPECT_NE(after.find(R"(ab_requests_total{arm="A",model="fast",outcome="error"} 1)"),
            std::string::npos);
  EXPECT_NE(after.find(R"(ab_inference_latency_seconds_count{arm="B",model="slow"} 1)"),
            std::string::npos);
  EXPECT_EQ(after.find("canary_stage"), std::string::npos);  // only with --canary
}

TEST(AbExperiment, VerdictSaysSlowerForATenTimesSlowerB) {
  metrics::Registry registry;
  AbExperiment ab(arms(0.5), registry, metrics::default_latency_buckets(), {});
  for (int i = 0; i < 60; ++i) {
    ab.observe(served("A", 10 + (i % 7) * 0.1));
    ab.observe(served("B", 100 + (i % 5) * 1.0));
  }
  const auto status = ab.status();
  EXPECT_EQ(status["verdict"], "slower");
  EXPECT_GT(status["comparison"]["ratio"].get<double>(), 9);
  EXPECT_GT(status["comparison"]["ratio_ci"]["low"].get<double>(), 9);
  EXPECT_EQ(status["arms"]["B"]["requests"], 60);
  EXPECT_TRUE(status["canary"].is_null());
  EXPECT_NE(status["summary"].get<std::string>().find("slower"), std::string::npos);
}

TEST(AbExperiment, IdenticalArmsAreNeverSlower) {
  metrics::Registry registry;
  AbExperiment ab(arms(0.5), registry, metrics::default_latency_buckets(), {});
  for (int i = 0; i < 200; ++i) {
    ab.observe(served("A", 10 + (i % 13) * 0.1));
    ab.observe(served("B", 10 + ((i + 5) % 13) * 0.1));
  }
  const std::string verdict = ab.status()["verdict"];
  EXPECT_TRUE(verdict == "equivalent" || verdict == "inconclusive") << verdict;
}

TEST(AbExperiment, CanaryLogsItsStagesAndCountsRollbacks) {
  metrics::Registry registry;
  AbOptions options = arms(0.1);
  options.canary = CanaryParams{};
  std::vector<std::string> events;
  double now = 0;
  AbExperiment ab(
      options, registry, metrics::default_latency_buckets(),
      [&](const nlohmann::ordered_json& event) { events.push_back(event["event"]); },
      [&] { return now; });
  ab.start();
  EXPECT_NE(registry.encode().find("canary_stage 1"), std::string::npos);
  EXPECT_DOUBLE_EQ(ab.b_fraction(), 0.01);
  for (int i = 0; i < 2000 && ab.b_fraction() > 0; ++i) {
    now += 0.01;
    auto arm = ab.route("fast", "q" + std::to_string(i));
    ASSERT_TRUE(arm);
    ab.observe(served(std::string(arm_name(*arm)), *arm == Arm::kB ? 100 : 10 + (i % 3)));
  }
  EXPECT_EQ(events, (std::vector<std::string>{"canary_started", "canary_rolled_back"}));
  const std::string text = registry.encode();
  EXPECT_NE(text.find("canary_stage 0"), std::string::npos) << text;
  EXPECT_NE(text.find("canary_rollbacks_total 1"), std::string::npos);
  EXPECT_EQ(ab.status()["canary"]["state"], "rolled_back");
}

}  // namespace
}  // namespace coldbench::workload::serve
