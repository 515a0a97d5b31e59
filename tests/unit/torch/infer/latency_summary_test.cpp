#include "torch/infer/latency_summary.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace coldbench::workload {
namespace {

TEST(SummarizeLatencies, UnsortedInput) {
  std::vector<double> values{5, 1, 4, 2, 3};
  LatencySummary s = summarize_latencies(values);
  EXPECT_EQ(s.n, 5u);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 5);
  EXPECT_DOUBLE_EQ(s.mean, 3);
  EXPECT_DOUBLE_EQ(s.p50, 3);
  EXPECT_DOUBLE_EQ(s.p90, 4.6);
  EXPECT_DOUBLE_EQ(s.p99, 4.96);
  EXPECT_NEAR(s.sd, std::sqrt(2.5), 1e-12);
  EXPECT_DOUBLE_EQ(s.total_ms, 15);
}

TEST(SummarizeLatencies, Empty) {
  LatencySummary s = summarize_latencies({});
  EXPECT_EQ(s.n, 0u);
  EXPECT_EQ(throughput_per_s(s, 4), 0);
}

TEST(Throughput, SamplesPerSecond) {
  std::vector<double> values(10, 5.0);  // 10 iterations of 5 ms at batch 4
  LatencySummary s = summarize_latencies(values);
  EXPECT_DOUBLE_EQ(throughput_per_s(s, 4), 800.0);
  EXPECT_DOUBLE_EQ(throughput_per_s(s, 1), 200.0);
}

}  // namespace
}  // namespace coldbench::workload

namespace coldbench::workload {
namespace {

// One JSON shape for a latency summary (infer's results and its --shapes
// report); an empty distribution has no made-up zeros.
TEST(LatencySummaryJson, EveryFieldOrOnlyTheCountWhenEmpty) {
  const std::vector<double> values{1, 2, 3, 4};
  const nlohmann::json full = latency_summary_json(summarize_latencies(values));
  for (const char* key : {"n", "min", "max", "mean", "sd", "p50", "p90", "p95", "p99"}) {
    EXPECT_TRUE(full.contains(key)) << key;
  }
  EXPECT_EQ(full["n"], 4);
  EXPECT_DOUBLE_EQ(full["p50"].get<double>(), 2.5);
  EXPECT_EQ(latency_summary_json(LatencySummary{}), (nlohmann::json{{"n", 0}}));
}

}  // namespace
}  // namespace coldbench::workload
