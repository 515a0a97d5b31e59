#include "stats/hypothesis.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace coldbench::stats {
namespace {

// References: scipy 1.10.1 / numpy 1.24.2 (Debian bookworm), /usr/bin/python3.

// Tie-free samples from integer patterns, written identically in the Python
// that computed the references: offset + ((i * step) % mod) / 10 (+ extra).
std::vector<double> pattern(int n, double offset, int step, int mod, double extra = 0.0) {
  std::vector<double> values;
  for (int i = 0; i < n; ++i)
    values.push_back(offset + static_cast<double>((i * step) % mod) / 10 + extra);
  return values;
}

const std::vector<double> kA = {12.1, 14.3, 11.8, 15.2, 13.9, 12.7, 16.4};
const std::vector<double> kB = {13.5, 17.2, 16.8, 18.1, 15.9, 14.8, 19.3, 17.7};

TEST(StatsHypothesis, MannWhitneyExactSmall) {
  // scipy.stats.mannwhitneyu(kA, kB, method='exact') -> (7.0, 0.013986013986013986)
  const TestResult r = mann_whitney_u(kA, kB);
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.statistic, 7.0);
  EXPECT_NEAR(r.p_value, 0.013986013986013986, 1e-14);
  EXPECT_EQ(r.df, 0.0);
  // Swapping the samples gives U2 = n1 n2 - U1 and the same two-sided p.
  const TestResult swapped = mann_whitney_u(kB, kA);
  EXPECT_EQ(swapped.statistic, 49.0);
  EXPECT_NEAR(swapped.p_value, r.p_value, 1e-14);
}

TEST(StatsHypothesis, MannWhitneyExactAtTheSizeLimit) {
  // a = [10 + ((i*37) % 101)/10 for i in range(30)],
  // b = [10.5 + ((i*53) % 103)/10 + 0.005 for i in range(40)]
  // scipy.stats.mannwhitneyu(a, b, method='exact') -> (551.0, 0.5672048026974756)
  const TestResult mid =
      mann_whitney_u(pattern(30, 10, 37, 101), pattern(40, 10.5, 53, 103, 0.005));
  EXPECT_TRUE(mid.exact);
  EXPECT_EQ(mid.statistic, 551.0);
  EXPECT_NEAR(mid.p_value, 0.5672048026974756, 1e-12);

  // Same patterns with 50 + 50 values, b offset 12:
  // scipy.stats.mannwhitneyu(a, b, method='exact') -> (886.0, 0.011777456670390554)
  const TestResult tail = mann_whitney_u(pattern(50, 10, 37, 101), pattern(50, 12, 53, 103, 0.005));
  EXPECT_TRUE(tail.exact);
  EXPECT_EQ(tail.statistic, 886.0);
  EXPECT_NEAR(tail.p_value, 0.011777456670390554, 1e-13);
}

TEST(StatsHypothesis, MannWhitneyAsymptoticWithTies) {
  const std::vector<double> a = {1, 2, 2, 3, 3, 3, 4, 5};
  const std::vector<double> b = {3, 4, 4, 5, 5, 6, 7, 7, 8};
  // scipy.stats.mannwhitneyu(a, b, method='asymptotic', use_continuity=True)
  //   -> (7.5, 0.006373133838085873)
  const TestResult r = mann_whitney_u(a, b);
  EXPECT_FALSE(r.exact);
  EXPECT_EQ(r.statistic, 7.5);
  EXPECT_NEAR(r.p_value, 0.006373133838085873, 1e-12);
}

TEST(StatsHypothesis, MannWhitneyAsymptoticAboveFifty) {
  // a = [10 + ((i*37) % 101)/10 for i in range(60)],
  // b = [11 + ((i*53) % 103)/10 + 0.005 for i in range(55)] (no ties)
  // scipy.stats.mannwhitneyu(a, b, method='asymptotic', use_continuity=True)
  //   -> (1404.0, 0.16927530648981703)
  const TestResult r = mann_whitney_u(pattern(60, 10, 37, 101), pattern(55, 11, 53, 103, 0.005));
  EXPECT_FALSE(r.exact);
  EXPECT_EQ(r.statistic, 1404.0);
  EXPECT_NEAR(r.p_value, 0.16927530648981703, 1e-12);
}

TEST(StatsHypothesis, MannWhitneyDegenerate) {
  // All values tied: no evidence either way (scipy also gives p = 1).
  const TestResult tied = mann_whitney_u(std::vector<double>{2, 2, 2}, std::vector<double>{2, 2});
  EXPECT_EQ(tied.p_value, 1.0);
  EXPECT_EQ(tied.statistic, 3.0);
  const TestResult single = mann_whitney_u(std::vector<double>{1}, std::vector<double>{2});
  EXPECT_TRUE(single.exact);
  EXPECT_EQ(single.p_value, 1.0);
  const TestResult empty = mann_whitney_u(std::vector<double>{}, kB);
  EXPECT_TRUE(std::isnan(empty.p_value));
}

const std::vector<double> kWelchB = {13.5, 17.2, 16.8, 18.1, 15.9, 14.8, 19.3, 17.7, 21.0, 12.9};

TEST(StatsHypothesis, WelchTTest) {
  // scipy.stats.ttest_ind(kA, kWelchB, equal_var=False)
  //   -> (-2.8854032130612453, 0.011329223516360553)
  // df by Welch-Satterthwaite in numpy (var(ddof=1)/n per side): 14.992846069893211;
  // 2 * scipy.stats.t.sf(|t|, df) reproduces the p-value.
  const TestResult r = welch_t_test(kA, kWelchB);
  EXPECT_NEAR(r.statistic, -2.8854032130612453, 1e-12);
  EXPECT_NEAR(r.df, 14.992846069893211, 1e-10);
  EXPECT_NEAR(r.p_value, 0.011329223516360553, 1e-12);
}

TEST(StatsHypothesis, WelchDegenerateIsNaN) {
  const TestResult single = welch_t_test(std::vector<double>{1.0}, kA);
  EXPECT_TRUE(std::isnan(single.p_value));
  EXPECT_TRUE(std::isnan(single.statistic));
  const TestResult constant = welch_t_test(std::vector<double>{3, 3, 3}, std::vector<double>{4, 4});
  EXPECT_TRUE(std::isnan(constant.p_value));
  EXPECT_TRUE(std::isnan(constant.df));
}

TEST(StatsHypothesis, CohensD) {
  // numpy: (mean(b) - mean(a)) / sqrt(((na-1) var(a, ddof=1) + (nb-1) var(b, ddof=1)) / (na+nb-2))
  EXPECT_NEAR(cohens_d(kA, kWelchB), 1.3233227307001814, 1e-12);
  EXPECT_NEAR(cohens_d(kWelchB, kA), -1.3233227307001814, 1e-12);
  EXPECT_TRUE(std::isnan(cohens_d(std::vector<double>{1, 1}, std::vector<double>{1, 1})));
  EXPECT_TRUE(std::isnan(cohens_d(std::vector<double>{1}, std::vector<double>{2})));
}

TEST(StatsHypothesis, CliffsDelta) {
  // numpy.sign(b[:, None] - a[None, :]).mean()
  EXPECT_NEAR(cliffs_delta(kA, kWelchB), 0.6857142857142857, 1e-15);
  EXPECT_NEAR(cliffs_delta(std::vector<double>{1, 2, 2, 3}, std::vector<double>{2, 2, 3, 4, 5}),
              0.55, 1e-15);
  EXPECT_EQ(cliffs_delta(std::vector<double>{1, 2}, std::vector<double>{3, 4}), 1.0);
  EXPECT_EQ(cliffs_delta(std::vector<double>{3, 4}, std::vector<double>{1, 2}), -1.0);
  EXPECT_TRUE(std::isnan(cliffs_delta(std::vector<double>{}, kA)));
}

}  // namespace
}  // namespace coldbench::stats
