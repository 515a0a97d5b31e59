#include "torch/infer/explain.hpp"

#include <gtest/gtest.h>

namespace coldbench::workload {
namespace {

GraphStats graph(std::map<std::string, int64_t> kinds) {
  GraphStats stats;
  stats.by_kind = std::move(kinds);
  for (const auto& [kind, n] : stats.by_kind) stats.nodes += n;
  return stats;
}

TEST(InferExplain, DeltaListsChangedKindsLargestFirst) {
  const GraphStats script = graph({{"aten::conv2d", 52}, {"aten::batch_norm", 52}, {"aten::hardtanh", 35},
                                   {"prim::GetAttr", 300}});
  const GraphStats optimized = graph({{"aten::conv2d", 52}, {"aten::hardtanh", 35}, {"prim::mkldnn_convolution", 0},
                                      {"aten::to_dense", 1}});
  const auto delta = graph_delta(script, optimized, 10);
  ASSERT_EQ(delta.size(), 3u);  // conv2d and hardtanh unchanged; a zero count is no change
  EXPECT_EQ(delta[0].kind, "prim::GetAttr");
  EXPECT_EQ(delta[0].before, 300);
  EXPECT_EQ(delta[0].after, 0);
  EXPECT_EQ(delta[1].kind, "aten::batch_norm");
  EXPECT_EQ(delta[2].kind, "aten::to_dense");
  EXPECT_EQ(describe_delta(delta, 2), "-300 prim::GetAttr, -52 aten::batch_norm");
  EXPECT_EQ(graph_delta(script, optimized, 1).size(), 1u);
}

TEST(InferExplain, TopOpsArePerInferenceSelfTimesWithoutAnnotations) {
  WindowSummary summary;
  OpStats conv{"aten::mkldnn_convolution", false, 40, 8'000'000, 9'000'000};
  OpStats clamp{"aten::hardtanh_", false, 20, 2'000'000, 2'000'000};
  OpStats step{"ProfilerStep*", true, 4, 1'000'000, 12'000'000};
  summary.ops = {clamp, step, conv};
  const auto ops = top_ops(summary, 4, 10);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].name, "aten::mkldnn_convolution");
  EXPECT_DOUBLE_EQ(ops[0].calls_per_inference, 10);
  EXPECT_DOUBLE_EQ(ops[0].self_ms_per_inference, 2.0);
  EXPECT_DOUBLE_EQ(ops[0].share, 0.8);
  EXPECT_DOUBLE_EQ(ops[1].share, 0.2);
  EXPECT_TRUE(top_ops(summary, 0, 10).empty());
}

}  // namespace
}  // namespace coldbench::workload
