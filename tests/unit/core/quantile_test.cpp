#include "core/quantile.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace coldbench {
namespace {

// Expected values from numpy.percentile(..., method="linear") (type 7).
TEST(QuantileSorted, MatchesNumpyLinear) {
  std::vector<double> sorted{1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 0.95), 3.85);
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 1.0), 4.0);
  std::vector<double> one{7};
  EXPECT_DOUBLE_EQ(quantile_sorted(one, 0.99), 7.0);
  EXPECT_TRUE(std::isnan(quantile_sorted({}, 0.5)));
}

TEST(QuantileSorted, OutOfRangeProbabilityIsNaN) {
  std::vector<double> sorted{1, 2};
  EXPECT_TRUE(std::isnan(quantile_sorted(sorted, 1.5)));
  EXPECT_TRUE(std::isnan(quantile_sorted(sorted, -0.1)));
  EXPECT_TRUE(std::isnan(quantile_sorted(sorted, std::nan(""))));
}

}  // namespace
}  // namespace coldbench
