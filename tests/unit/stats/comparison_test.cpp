#include "stats/comparison.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace coldbench::stats {
namespace {

// n values spread evenly over [low, low + width), in an order set by `step`
// (two different steps give two differently ordered, non-identical samples).
std::vector<double> spread(std::size_t n, double low, double width, double step) {
  std::vector<double> values;
  for (std::size_t i = 0; i < n; ++i)
    values.push_back(low + width * std::fmod(static_cast<double>(i) * step, 1.0));
  return values;
}

// Assigned, not designated-initialized: GCC's -Wmissing-field-initializers
// flags a designated initializer that leaves fields out.
ComparisonPolicy with_threshold(double threshold) {
  ComparisonPolicy policy;
  policy.threshold = threshold;
  return policy;
}

constexpr double kGolden = 0.6180339887498949;
constexpr double kSqrt2 = 1.4142135623730951;

TEST(StatsComparison, VerdictNames) {
  EXPECT_EQ(to_string(Verdict::Faster), "faster");
  EXPECT_EQ(to_string(Verdict::Slower), "slower");
  EXPECT_EQ(to_string(Verdict::Equivalent), "equivalent");
  EXPECT_EQ(to_string(Verdict::Inconclusive), "inconclusive");
}

TEST(StatsComparison, ClearlySlower) {
  const auto baseline = spread(30, 100.0, 20.0, kGolden);
  const auto candidate = spread(30, 130.0, 26.0, kSqrt2);  // ~1.3x
  const Comparison c = compare_samples(baseline, candidate, with_threshold(0.05));
  EXPECT_EQ(c.verdict, Verdict::Slower);
  EXPECT_NEAR(c.ratio, 1.3, 0.02);
  EXPECT_GT(c.ratio_ci.low, 1.0);
  EXPECT_LT(c.mann_whitney.p_value, 1e-6);
  EXPECT_GT(c.cohens_d, 0.0);
  EXPECT_EQ(c.cliffs_delta, 1.0);  // every candidate value exceeds every baseline value
  EXPECT_EQ(c.n_baseline, 30u);
  EXPECT_EQ(c.n_candidate, 30u);
}

TEST(StatsComparison, ClearlyFaster) {
  const auto baseline = spread(30, 100.0, 20.0, kGolden);
  const auto candidate = spread(30, 70.0, 14.0, kSqrt2);  // ~0.7x
  const Comparison c = compare_samples(baseline, candidate, with_threshold(0.05));
  EXPECT_EQ(c.verdict, Verdict::Faster);
  EXPECT_NEAR(c.ratio, 0.7, 0.02);
  EXPECT_LT(c.ratio_ci.high, 1.0);
  EXPECT_LT(c.cohens_d, 0.0);
  EXPECT_EQ(c.cliffs_delta, -1.0);
}

// 30 values spread over +-30% cannot pin the ratio to within 5%: the verdict
// says so instead of "no difference".
TEST(StatsComparison, IdenticalWideSamplesAreInconclusiveWithRunsNeeded) {
  const auto baseline = spread(30, 100.0, 60.0, kGolden);
  const Comparison c = compare_samples(baseline, baseline);
  EXPECT_EQ(c.verdict, Verdict::Inconclusive);
  EXPECT_GT(c.runs_needed, 30u);
  EXPECT_EQ(c.ratio, 1.0);
  EXPECT_EQ(c.cliffs_delta, 0.0);
  EXPECT_GT(c.mann_whitney.p_value, 0.9);
}

TEST(StatsComparison, IdenticalTightSamplesAreEquivalent) {
  const auto baseline = spread(30, 100.0, 2.0, kGolden);
  const Comparison c = compare_samples(baseline, spread(30, 100.0, 2.0, kSqrt2));
  EXPECT_EQ(c.verdict, Verdict::Equivalent);
  EXPECT_LT(c.p_equivalence, 1e-6);
  EXPECT_EQ(c.runs_needed, 0u);
}

TEST(StatsComparison, SignificantButBelowThresholdIsEquivalent) {
  // 0.5% noise and a 1% shift: the shift is real (tiny p, CI above 1) but
  // smaller than the 5% threshold.
  const auto baseline = spread(30, 100.0, 0.5, kGolden);
  const auto candidate = spread(30, 101.0, 0.5, kSqrt2);
  const Comparison within = compare_samples(baseline, candidate, with_threshold(0.05));
  EXPECT_LT(within.mann_whitney.p_value, 0.05);
  EXPECT_GT(within.ratio_ci.low, 1.0);
  EXPECT_EQ(within.verdict, Verdict::Equivalent);
  // Without a threshold the same data reads as slower.
  EXPECT_EQ(compare_samples(baseline, candidate, with_threshold(0.0)).verdict, Verdict::Slower);
}

TEST(StatsComparison, NeedsTwoValuesPerSide) {
  const auto baseline = spread(30, 100.0, 20.0, kGolden);
  const Comparison c = compare_samples(baseline, std::vector<double>{500.0});
  EXPECT_EQ(c.verdict, Verdict::Inconclusive);
  EXPECT_FALSE(c.ratio_ci.valid());
  EXPECT_EQ(compare_samples(std::vector<double>{}, std::vector<double>{}).verdict,
            Verdict::Inconclusive);
}

}  // namespace
}  // namespace coldbench::stats
