#pragma once
// Two-sample tests and effect sizes (two-sided).

#include <span>

namespace coldbench::stats {

struct TestResult {
  double statistic = 0;  // U for Mann-Whitney (of the first sample), t for Welch
  double p_value = 1;
  double df = 0;         // Welch's degrees of freedom; 0 for Mann-Whitney
  bool exact = false;    // Mann-Whitney: exact distribution used (small n, no ties)
};

// Mann-Whitney U: exact p-value when both samples have <= 50 values and no
// ties; otherwise the normal approximation with tie and continuity correction.
TestResult mann_whitney_u(std::span<const double> a, std::span<const double> b);

// Welch's unequal-variance t-test (Student's t from Boost.Math).
TestResult welch_t_test(std::span<const double> a, std::span<const double> b);

// (mean(b) - mean(a)) / pooled sample standard deviation.
double cohens_d(std::span<const double> a, std::span<const double> b);

// P(b > a) - P(b < a) over all pairs, in [-1, 1].
double cliffs_delta(std::span<const double> a, std::span<const double> b);

}  // namespace coldbench::stats
