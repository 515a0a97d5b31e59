#include "stats/outliers.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace coldbench::stats {
namespace {

const std::vector<double> kPlanted = {10.1, 10.3, 9.9, 10.0, 10.2, 10.4, 9.8, 25.0, 10.1, 10.0};

TEST(StatsOutliers, ModifiedZScores) {
  // numpy 1.24.2 / scipy 1.10.1: 0.6745 * (x - numpy.median(x)) /
  // scipy.stats.median_abs_deviation(x)
  const std::vector<double> expected = {0.0,
                                        0.8993333333333413,
                                        -0.8993333333333333,
                                        -0.44966666666666666,
                                        0.44966666666666666,
                                        1.349000000000008,
                                        -1.349,
                                        67.00033333333357,
                                        0.0,
                                        -0.44966666666666666};
  const std::vector<double> scores = modified_z_scores(kPlanted);
  ASSERT_EQ(scores.size(), expected.size());
  for (std::size_t i = 0; i < scores.size(); ++i) EXPECT_NEAR(scores[i], expected[i], 1e-9) << i;
}

TEST(StatsOutliers, FlagsOnlyThePlantedOutlier) {
  EXPECT_EQ(outlier_indices(kPlanted), std::vector<std::size_t>{7});
  // A lower threshold flags the moderate deviations too (|M| = 1.349 at 5 and 6).
  EXPECT_EQ(outlier_indices(kPlanted, 1.0), (std::vector<std::size_t>{5, 6, 7}));
}

TEST(StatsOutliers, ZeroMadGivesZeroScores) {
  const std::vector<double> mostly_equal = {5.0, 5.0, 5.0, 5.0, 9.0};
  EXPECT_EQ(modified_z_scores(mostly_equal), std::vector<double>(5, 0.0));
  EXPECT_TRUE(outlier_indices(mostly_equal).empty());
  EXPECT_TRUE(modified_z_scores(std::vector<double>{}).empty());
}

}  // namespace
}  // namespace coldbench::stats
