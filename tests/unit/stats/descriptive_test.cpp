#include "stats/descriptive.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <vector>

#include "stats/order_statistics.hpp"

namespace coldbench::stats {
namespace {

// References: scipy 1.10.1 / numpy 1.24.2 (Debian bookworm), /usr/bin/python3.
// numpy.percentile's default method="linear" is Hyndman & Fan type 7, R's default.
const std::vector<double> kSample = {3.1, 1.4, 15.9, 2.6, 5.3, 5.8, 9.7, 9.3, 2.3, 8.4};

TEST(StatsDescriptive, QuantileMatchesNumpyPercentileLinear) {
  // numpy.percentile(x, q) for q in 0, 5, 25, 50, 75, 95, 99, 100, 33.3
  EXPECT_DOUBLE_EQ(quantile(kSample, 0.0), 1.4);
  EXPECT_DOUBLE_EQ(quantile(kSample, 0.05), 1.805);
  EXPECT_DOUBLE_EQ(quantile(kSample, 0.25), 2.725);
  EXPECT_DOUBLE_EQ(quantile(kSample, 0.5), 5.55);
  EXPECT_DOUBLE_EQ(quantile(kSample, 0.75), 9.075000000000001);
  EXPECT_NEAR(quantile(kSample, 0.95), 13.109999999999992, 1e-12);
  EXPECT_DOUBLE_EQ(quantile(kSample, 0.99), 15.342);
  EXPECT_DOUBLE_EQ(quantile(kSample, 1.0), 15.9);
  EXPECT_NEAR(quantile(kSample, 0.333), 3.0985, 1e-12);
}

TEST(StatsDescriptive, QuantileOfSingleValueIsThatValue) {
  // Type 7 with n = 1: h = 0 for every p (numpy.percentile([42.0], q) == 42.0).
  const std::vector<double> one = {42.0};
  for (double p : {0.0, 0.01, 0.5, 0.99, 1.0}) EXPECT_EQ(quantile(one, p), 42.0) << p;
}

TEST(StatsDescriptive, QuantileRejectsEmptyAndOutOfRange) {
  EXPECT_TRUE(std::isnan(quantile(std::vector<double>{}, 0.5)));
  EXPECT_TRUE(std::isnan(quantile(kSample, -0.1)));
  EXPECT_TRUE(std::isnan(quantile(kSample, 1.1)));
  EXPECT_TRUE(std::isnan(quantile(kSample, kNaN)));
}

TEST(StatsDescriptive, MeanSdMad) {
  EXPECT_DOUBLE_EQ(mean(kSample), 6.38);                   // numpy.mean(x)
  EXPECT_NEAR(stddev(kSample), 4.500074073464421, 1e-12);  // numpy.std(x, ddof=1)
  // scipy.stats.median_abs_deviation(x) (scale=1.0, unscaled)
  EXPECT_NEAR(mad(kSample), 3.0999999999999996, 1e-12);
  EXPECT_DOUBLE_EQ(median(kSample), 5.55);  // numpy.median(x)
}

TEST(StatsDescriptive, SdNeedsTwoValues) {
  EXPECT_TRUE(std::isnan(stddev(std::vector<double>{5.0})));
  EXPECT_TRUE(std::isnan(mean(std::vector<double>{})));
  EXPECT_TRUE(std::isnan(mad(std::vector<double>{})));
}

TEST(StatsDescriptive, SummarizeMatchesIndividualFunctions) {
  const Summary s = summarize(kSample);
  EXPECT_EQ(s.n, kSample.size());
  EXPECT_EQ(s.min, 1.4);
  EXPECT_EQ(s.max, 15.9);
  EXPECT_DOUBLE_EQ(s.mean, 6.38);
  EXPECT_NEAR(s.sd, 4.500074073464421, 1e-12);
  EXPECT_DOUBLE_EQ(s.median, 5.55);
  EXPECT_NEAR(s.mad, 3.0999999999999996, 1e-12);
  EXPECT_DOUBLE_EQ(s.p5, 1.805);
  EXPECT_DOUBLE_EQ(s.p25, 2.725);
  EXPECT_DOUBLE_EQ(s.p75, 9.075000000000001);
  EXPECT_NEAR(s.p95, 13.109999999999992, 1e-12);
  EXPECT_DOUBLE_EQ(s.p99, 15.342);
  ASSERT_TRUE(s.median_ci.valid());
  EXPECT_LE(s.median_ci.low, s.median);
  EXPECT_GE(s.median_ci.high, s.median);
  // One stats path: the summary's CI is the order-statistic one.
  std::vector<double> sorted(std::begin(kSample), std::end(kSample));
  std::sort(sorted.begin(), sorted.end());
  const Interval direct = quantile_ci_sorted(sorted, 0.5, 0.95, ShortLevel::Widest);
  EXPECT_EQ(s.median_ci.low, direct.low);
  EXPECT_EQ(s.median_ci.high, direct.high);
}

TEST(StatsDescriptive, SummarizeEmpty) {
  const Summary s = summarize(std::vector<double>{});
  EXPECT_EQ(s.n, 0u);
  for (double v : {s.min, s.max, s.mean, s.sd, s.median, s.mad, s.p5, s.p25, s.p75, s.p95, s.p99}) {
    EXPECT_TRUE(std::isnan(v));
  }
  EXPECT_FALSE(s.median_ci.valid());
}

TEST(StatsDescriptive, SummarizeSingleValue) {
  const Summary s = summarize(std::vector<double>{7.25});
  EXPECT_EQ(s.n, 1u);
  for (double v : {s.min, s.max, s.mean, s.median, s.p5, s.p25, s.p75, s.p95, s.p99})
    EXPECT_EQ(v, 7.25);
  EXPECT_EQ(s.mad, 0.0);
  EXPECT_TRUE(std::isnan(s.sd));
  EXPECT_FALSE(s.median_ci.valid());
}

TEST(StatsDescriptive, RelativeHalfWidthOfTheMedianInterval) {
  Interval ci;
  ci.low = 97.0;
  ci.high = 104.0;
  EXPECT_DOUBLE_EQ(relative_half_width(ci, 100.0), 0.04);  // the wider side counts
  EXPECT_TRUE(std::isnan(relative_half_width(ci, 0.0)));
  EXPECT_TRUE(std::isnan(relative_half_width(Interval{}, 100.0)));
}

}  // namespace
}  // namespace coldbench::stats
