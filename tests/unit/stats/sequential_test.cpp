#include "stats/sequential.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace coldbench::stats {
namespace {

TEST(StatsSequential, SpendingGoesFromNothingToAlpha) {
  EXPECT_DOUBLE_EQ(pocock_spending(0.05, 0.0), 0.0);
  EXPECT_NEAR(pocock_spending(0.05, 1.0), 0.05, 1e-15);
  EXPECT_NEAR(pocock_spending(0.05, 2.0), 0.05, 1e-15);  // clamped
  EXPECT_LT(pocock_spending(0.05, 0.5), 0.05);
  EXPECT_GT(pocock_spending(0.05, 0.5), 0.025);  // Pocock-type: more than half by half-way
}

TEST(StatsSequential, LookLevelsSumToAlphaAndShrinkLookByLook) {
  for (int looks : {1, 2, 26, 96}) {
    double sum = 0;
    double previous = 1;
    for (int look = 1; look <= looks; ++look) {
      const double a = look_alpha(0.05, look, looks);
      EXPECT_GT(a, 0.0) << look << "/" << looks;
      EXPECT_LE(a, previous) << "look " << look << " of " << looks
                             << " spends more than the one before";
      previous = a;
      sum += a;
    }
    EXPECT_NEAR(sum, 0.05, 1e-12) << looks << " looks";
  }
  EXPECT_DOUBLE_EQ(look_alpha(0.05, 1, 1), 0.05);
}

TEST(StatsSequential, LooksOutsideTheDesignSpendNothing) {
  EXPECT_EQ(look_alpha(0.05, 0, 10), 0.0);
  EXPECT_EQ(look_alpha(0.05, 11, 10), 0.0);
  EXPECT_EQ(look_alpha(0.05, 1, 0), 0.0);
}

}  // namespace
}  // namespace coldbench::stats
