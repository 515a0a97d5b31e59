#include "stats/trend.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace coldbench::stats {
namespace {

// Two-sided p by brute force: the share of all orderings of the same values
// whose |S| is at least the observed one.
double enumerated_p(std::vector<double> values) {
  auto s_of = [](const std::vector<double>& x) {
    long s = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
      for (std::size_t j = i + 1; j < x.size(); ++j) s += (x[j] > x[i]) - (x[j] < x[i]);
    return s;
  };
  const long observed = std::labs(s_of(values));
  std::sort(values.begin(), values.end());
  long extreme = 0, total = 0;
  do {
    ++total;
    if (std::labs(s_of(values)) >= observed) ++extreme;
  } while (std::next_permutation(values.begin(), values.end()));
  return double(extreme) / double(total);
}

TEST(StatsTrend, ExactPValueMatchesEnumerationOfEveryOrdering) {
  for (const std::vector<double>& x : std::vector<std::vector<double>>{{1, 2, 3, 4, 5, 6, 7},
                                                                       {3, 1, 4, 7, 5, 9, 2},
                                                                       {7, 6, 5, 4, 3, 1, 2},
                                                                       {2, 1, 3, 5, 4, 7, 6}}) {
    TrendTest t = mann_kendall(x);
    EXPECT_TRUE(t.exact);
    EXPECT_NEAR(t.p_value, enumerated_p(x), 1e-12);
  }
}

TEST(StatsTrend, SenSlopeOfALineIgnoresOneOutlier) {
  std::vector<double> x;
  for (int i = 0; i < 12; ++i) x.push_back(3 + 2.0 * i);
  x[5] = 1000;
  TrendTest t = mann_kendall(x);
  EXPECT_DOUBLE_EQ(t.sen_slope, 2.0);
  EXPECT_GT(t.s, 0);
  EXPECT_LT(t.p_value, 0.001);
}

TEST(StatsTrend, FewerThanThreeValuesOrAllEqualIsNoEvidence) {
  EXPECT_EQ(mann_kendall(std::vector<double>{1, 2}).p_value, 1.0);
  TrendTest flat = mann_kendall(std::vector<double>(20, 5.0));
  EXPECT_EQ(flat.p_value, 1.0);
  EXPECT_EQ(flat.sen_slope, 0.0);
}

TEST(StatsTrend, TiesUseTheCorrectedNormalApproximation) {
  TrendTest t = mann_kendall(std::vector<double>{1, 1, 2, 2, 3, 3, 4, 4, 5, 5});
  EXPECT_FALSE(t.exact);
  EXPECT_LT(t.p_value, 0.01);
}

// The share of seeded i.i.d. samples the test calls trending at `alpha`.
template <class Draw>
double false_alarm_rate(int n, int sessions, double alpha, Draw draw, uint64_t seed) {
  std::mt19937_64 rng(seed);
  int alarms = 0;
  std::vector<double> x(static_cast<std::size_t>(n));
  for (int s = 0; s < sessions; ++s) {
    for (auto& v : x) v = draw(rng);
    if (mann_kendall(x).p_value < alpha) ++alarms;
  }
  return double(alarms) / sessions;
}

// The rate must not exceed alpha by more than the simulation's own error
// (2 standard errors); the measured rates are printed for docs/machine-noise.md.
void expect_at_most_alpha(double rate, double alpha, int sessions, const std::string& what) {
  const double slack = 2 * std::sqrt(alpha * (1 - alpha) / sessions);
  std::printf("false alarms %s: %.4f at alpha %.2f\n", what.c_str(), rate, alpha);
  EXPECT_LE(rate, alpha + slack) << what;
}

TEST(StatsTrend, FalseAlarmRateOnIidDataStaysAtOrBelowAlpha) {
  constexpr int kSessions = 2000;
  std::normal_distribution<double> normal(100, 5);
  std::lognormal_distribution<double> lognormal(4.6, 0.5);
  for (int n : {8, 12, 20, 30, 60, 80}) {  // 80: the normal approximation
    for (double alpha : {0.05, 0.01}) {
      double rate_normal = false_alarm_rate(
          n, kSessions, alpha, [&](auto& rng) { return normal(rng); }, 11 + n);
      expect_at_most_alpha(rate_normal, alpha, kSessions, "normal n=" + std::to_string(n));
      double rate_lognormal = false_alarm_rate(
          n, kSessions, alpha, [&](auto& rng) { return lognormal(rng); }, 29 + n);
      expect_at_most_alpha(rate_lognormal, alpha, kSessions, "lognormal n=" + std::to_string(n));
    }
  }
}

TEST(StatsTrend, FalseAlarmRateWithTiedValuesStaysAtOrBelowAlpha) {
  constexpr int kSessions = 2000;
  // Millisecond-rounded times of a tight workload: many ties.
  std::normal_distribution<double> normal(100, 1.5);
  for (int n : {10, 20, 40}) {
    double rate = false_alarm_rate(
        n, kSessions, 0.05, [&](auto& rng) { return std::round(normal(rng)); }, 7 + n);
    expect_at_most_alpha(rate, 0.05, kSessions, "rounded n=" + std::to_string(n));
  }
}

// The share of seeded sessions of 20 runs, rising by `sd_per_run` standard
// deviations per run, that the test flags at alpha 0.01.
double detection_rate(double sd_per_run, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  constexpr int kSessions = 1000;
  int detected = 0;
  for (int s = 0; s < kSessions; ++s) {
    std::vector<double> x;
    for (int i = 0; i < 20; ++i) x.push_back(100 + sd_per_run * i + noise(rng));
    TrendTest t = mann_kendall(x);
    if (t.p_value < 0.01 && t.sen_slope > 0) ++detected;
  }
  const double rate = double(detected) / kSessions;
  std::printf("detected a drift of %.2f sd/run over 20 runs in %.1f%% of sessions at alpha 0.01\n",
              sd_per_run, 100 * rate);
  return rate;
}

TEST(StatsTrend, DetectsAClearDrift) {
  // 0.3 sd per run: the last run is ~6 sd above the first.
  EXPECT_GE(detection_rate(0.3, 5), 0.95);
  // Smaller drifts, printed for docs/machine-noise.md; power grows with the drift.
  EXPECT_LT(detection_rate(0.1, 6), detection_rate(0.2, 7));
}

}  // namespace
}  // namespace coldbench::stats
