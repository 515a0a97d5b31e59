#include "stats/bootstrap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace coldbench::stats {
namespace {

const std::vector<double> kSample = {3.1, 1.4, 15.9, 2.6, 5.3, 5.8, 9.7, 9.3, 2.3, 8.4};

// n values spread evenly over [low, low + width): a golden-ratio sequence, so
// the tests need no random numbers of their own.
std::vector<double> spread(std::size_t n, double low, double width) {
  std::vector<double> values;
  for (std::size_t i = 0; i < n; ++i)
    values.push_back(low + width * std::fmod(static_cast<double>(i) * 0.6180339887498949, 1.0));
  return values;
}

// Assigned, not designated-initialized: compilers' -Wmissing-field-initializers
// may flag designated initializers that leave fields out.
BootstrapOptions options(int resamples, double level, unsigned long long seed) {
  BootstrapOptions o;
  o.resamples = resamples;
  o.level = level;
  o.seed = seed;
  return o;
}

std::vector<double> scaled(std::vector<double> values, double factor) {
  for (double& v : values) v *= factor;
  return values;
}

TEST(StatsBootstrap, SameSeedGivesIdenticalBounds) {
  const Interval first = bootstrap_median_ci(kSample);
  const Interval second = bootstrap_median_ci(kSample);
  EXPECT_EQ(first.low, second.low);
  EXPECT_EQ(first.high, second.high);
  // The interval depends on the values, not on the order they were measured in.
  std::vector<double> reversed(kSample.rbegin(), kSample.rend());
  const Interval from_reversed = bootstrap_median_ci(reversed);
  EXPECT_EQ(first.low, from_reversed.low);
  EXPECT_EQ(first.high, from_reversed.high);
}

// Golden values from an independent pure-Python re-implementation of the
// scheme (std::mt19937_64 per [rand.predef], checked against its 10000th
// output 9981545732273789042; Lemire's unbiased multiply-shift on the sorted
// sample; type-7 percentiles), run with /usr/bin/python3. If these change, CIs
// stored by earlier coldbench versions are no longer reproducible.
TEST(StatsBootstrap, MatchesReferenceImplementation) {
  const Interval ci = bootstrap_median_ci(kSample);  // default seed 0x636f6c64, 10000, 0.95
  EXPECT_DOUBLE_EQ(ci.low, 2.6);
  EXPECT_DOUBLE_EQ(ci.high, 9.3);
  EXPECT_DOUBLE_EQ(ci.level, 0.95);

  const Interval custom = bootstrap_median_ci(kSample, options(2000, 0.9, 7));
  EXPECT_DOUBLE_EQ(custom.low, 2.85);
  EXPECT_DOUBLE_EQ(custom.high, 9.05);
  EXPECT_DOUBLE_EQ(custom.level, 0.9);

  std::vector<double> candidate;
  for (std::size_t i = 0; i < 7; ++i) candidate.push_back(kSample[i] * 1.1 + 3);
  const Interval ratio = bootstrap_ratio_of_medians_ci(kSample, candidate);
  EXPECT_DOUBLE_EQ(ratio.low, 0.689247311827957);
  EXPECT_DOUBLE_EQ(ratio.high, 3.839130434782609);
}

TEST(StatsBootstrap, MedianCiContainsMedian) {
  const std::vector<double> values = spread(25, 100.0, 20.0);
  const Interval ci = bootstrap_median_ci(values);
  ASSERT_TRUE(ci.valid());
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[12];
  EXPECT_LT(ci.low, median);
  EXPECT_GT(ci.high, median);
}

TEST(StatsBootstrap, WidthShrinksWithSampleSize) {
  const Interval small = bootstrap_median_ci(spread(20, 100.0, 20.0));
  const Interval large = bootstrap_median_ci(spread(500, 100.0, 20.0));
  ASSERT_TRUE(small.valid());
  ASSERT_TRUE(large.valid());
  // The CI width scales roughly as 1/sqrt(n): 25x the values, ~5x narrower.
  EXPECT_LT(large.high - large.low, 0.5 * (small.high - small.low));
}

TEST(StatsBootstrap, RatioOfSampleWithItselfContainsOne) {
  const std::vector<double> values = spread(30, 100.0, 20.0);
  const Interval ci = bootstrap_ratio_of_medians_ci(values, values);
  ASSERT_TRUE(ci.valid());
  EXPECT_LT(ci.low, 1.0);
  EXPECT_GT(ci.high, 1.0);
}

TEST(StatsBootstrap, RatioOfScaledSampleIsAroundScale) {
  const std::vector<double> baseline = spread(30, 100.0, 20.0);
  const Interval ci = bootstrap_ratio_of_medians_ci(baseline, scaled(baseline, 1.2));
  ASSERT_TRUE(ci.valid());
  EXPECT_LT(ci.low, 1.2);
  EXPECT_GT(ci.high, 1.2);
  // ~20% spread around the median: the ratio is pinned to within a few percent.
  EXPECT_GT(ci.low, 1.1);
  EXPECT_LT(ci.high, 1.3);
}

TEST(StatsBootstrap, DegenerateInputsGiveInvalidIntervals) {
  EXPECT_FALSE(bootstrap_median_ci(std::vector<double>{}).valid());
  EXPECT_FALSE(bootstrap_median_ci(std::vector<double>{1.0}).valid());
  EXPECT_FALSE(bootstrap_median_ci(kSample, options(0, 0.95, 1)).valid());
  EXPECT_FALSE(bootstrap_median_ci(kSample, options(100, 1.0, 1)).valid());
  EXPECT_FALSE(bootstrap_ratio_of_medians_ci(std::vector<double>{1.0}, kSample).valid());
  // A zero baseline median makes the ratio meaningless.
  EXPECT_FALSE(bootstrap_ratio_of_medians_ci(std::vector<double>{0.0, 0.0, 0.0}, kSample).valid());
  // Constant samples: a zero-width but valid interval.
  const Interval constant = bootstrap_median_ci(std::vector<double>{4.0, 4.0, 4.0});
  EXPECT_EQ(constant.low, 4.0);
  EXPECT_EQ(constant.high, 4.0);
}

}  // namespace
}  // namespace coldbench::stats
