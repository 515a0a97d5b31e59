#include "stats/rank_shift.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "stats/hypothesis.hpp"

namespace coldbench::stats {
namespace {

TEST(StatsRankShift, KthPairwiseDifferenceMatchesBruteForce) {
  std::mt19937_64 engine(7);
  for (std::size_t m : {1u, 2u, 7u, 80u}) {
    for (std::size_t n : {1u, 3u, 90u}) {
      std::vector<double> a(m), b(n);
      for (double& v : a) v = double(engine() % 1000) / 7.0;  // ties included
      for (double& v : b) v = double(engine() % 1000) / 7.0;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      std::vector<double> all;
      for (double x : a)
        for (double y : b) all.push_back(y - x);
      std::sort(all.begin(), all.end());
      // 80 x 90 = 7200 pairs takes the bisection path, the others the selection.
      for (std::size_t k : {std::size_t{1}, all.size() / 3, all.size() / 2 + 1, all.size()}) {
        if (k == 0) continue;
        EXPECT_EQ(kth_pairwise_difference(a, b, k), all[k - 1]) << m << "x" << n << " k=" << k;
      }
    }
  }
}

TEST(StatsRankShift, DifferencePIsTheMannWhitneyP) {
  const std::vector<double> a{1, 2, 3}, b{4, 5, 6};
  EXPECT_DOUBLE_EQ(rank_difference_p(a, b), 0.1);  // 2 / C(6, 3)
  EXPECT_DOUBLE_EQ(rank_difference_p(a, b), mann_whitney_u(a, b).p_value);
  const std::vector<double> c{1.5, 2.5, 9, 0.5}, e{2, 3, 3.5, 4, 7};
  EXPECT_DOUBLE_EQ(rank_difference_p(c, e), mann_whitney_u(c, e).p_value);
}

TEST(StatsRankShift, ThreeAgainstThreeReachesNinetyPercentAndSaysSo) {
  const std::vector<double> fast{10.1, 10.2, 10.3}, slow{100.4, 100.1, 100.9};
  const Interval ci = ratio_ci(fast, slow, 0.95);
  ASSERT_TRUE(ci.valid());
  EXPECT_DOUBLE_EQ(ci.level, 0.9);  // 1 - 2 / 20
  EXPECT_FALSE(ci.reached());
  EXPECT_EQ(ci.n_needed, 4u);  // 1 - 2 / C(8, 4) = 0.971
  EXPECT_NEAR(ci.low, 100.1 / 10.3, 1e-12);
  EXPECT_NEAR(ci.high, 100.9 / 10.1, 1e-12);
}

TEST(StatsRankShift, RatioIntervalNeedsPositiveValuesAndTwoPerSide) {
  EXPECT_FALSE(ratio_ci(std::vector<double>{1, 2}, std::vector<double>{0, 3}, 0.95).valid());
  EXPECT_FALSE(ratio_ci(std::vector<double>{1}, std::vector<double>{2, 3}, 0.95).valid());
}

TEST(StatsRankShift, EquivalenceNeedsTheSpreadToBeSmallerThanTheMargin) {
  std::vector<double> a, b;
  for (int i = 0; i < 20; ++i) {
    a.push_back(100.0 + 0.1 * i);
    b.push_back(100.05 + 0.1 * i);
  }
  EXPECT_LT(rank_equivalence_p(a, b, 0.05), 1e-6);
  EXPECT_DOUBLE_EQ(rank_equivalence_p(a, b, 0.0), 1.0);  // no margin, no equivalence
  std::vector<double> wide_a, wide_b;
  for (int i = 0; i < 20; ++i) {
    wide_a.push_back(100.0 + 5.0 * i);
    wide_b.push_back(100.0 + 5.0 * ((i * 7) % 20));
  }
  EXPECT_GT(rank_equivalence_p(wide_a, wide_b, 0.05), 0.05);
}

TEST(StatsRankShift, NullTailsAreExactAndSymmetric) {
  const RankNull null(3, 3);
  ASSERT_TRUE(null.exact());
  EXPECT_DOUBLE_EQ(null.cdf(0), 0.05);
  EXPECT_DOUBLE_EQ(null.sf(9), 0.05);
  EXPECT_DOUBLE_EQ(null.cdf(9), 1.0);
  EXPECT_DOUBLE_EQ(null.sf(0), 1.0);
  EXPECT_FALSE(RankNull(60, 60).exact());
  EXPECT_FALSE(RankNull(5, 5, 6.0).exact());  // ties: normal approximation
}

}  // namespace
}  // namespace coldbench::stats
