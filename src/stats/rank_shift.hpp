#pragma once
// Inference on a ratio of times from ranks (Mann-Whitney), on log values: a
// candidate that is r times the baseline is a shift of log r. One null
// distribution of U serves the difference test, the equivalence test (TOST)
// and the Hodges-Lehmann interval of the ratio, so they always agree.
// docs/statistics.md.

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "stats/descriptive.hpp"

namespace coldbench::stats {

// Mann-Whitney sizes up to which the null distribution is exact (no ties).
inline constexpr std::size_t kExactRankMaxSize = 50;

// The standard normal distribution function, from std::erfc in double
// precision. boost::math's normal cdf promotes to long double by default,
// and its long double erf was ~70% of `coldbench report` on a 10^4-run
// history (rank tests' normal approximations are evaluated many times).
double standard_normal_cdf(double z);

// The null distribution of U (pairs counted for one sample) for sizes m, n:
// exact when both are <= kExactRankMaxSize and there are no ties, otherwise
// the normal approximation with tie and continuity correction.
class RankNull {
 public:
  RankNull(std::size_t m, std::size_t n, double tie_term = 0.0);
  bool exact() const { return tails_ != nullptr; }
  double cdf(double u) const;  // P(U <= u)
  double sf(double u) const;   // P(U >= u)
  double pairs() const { return m_ * n_; }

 private:
  double m_, n_;
  double mean_, sd_;
  struct Tails {
    std::vector<double> at_most,
        at_least;  // P(U <= k), P(U >= k), k = 0..mn: both tails summed from their end
  };
  std::shared_ptr<const Tails> tails_;  // exact only
};

// U = #{(i, j): b_j - shift > a_i} + #ties / 2 and the pooled tie term
// (sum of t^3 - t over groups of equal values), both inputs sorted ascending.
struct PairCount {
  double u = 0;
  double tie_term = 0;
};
PairCount count_pairs_above(std::span<const double> sorted_a, std::span<const double> sorted_b,
                            double shift);

// Two-sided p-value that the candidate's times are not a shift of the
// baseline's (the Mann-Whitney test; equal to mann_whitney_u's p).
double rank_difference_p(std::span<const double> baseline, std::span<const double> candidate);

// TOST p-value that median(candidate) / median(baseline) lies inside
// [1 / (1 + threshold), 1 + threshold] under the scale-shift model: the larger
// of the two one-sided rank tests of the shifted log values. 1 when a value
// is not positive (no logarithm) or threshold <= 0.
double rank_equivalence_p(std::span<const double> baseline, std::span<const double> candidate,
                          double threshold);

// Hodges-Lehmann interval of the ratio: the k-th smallest and largest of the
// m*n pairwise log ratios, k from the null distribution of U. Coverage is
// exact for continuous data under the scale-shift model; where no k reaches
// `level` (m = n = 3: 90%), k = 1 and the actual coverage is reported with
// n_needed (runs per side). Invalid when a side has < 2 values or a value <= 0.
Interval ratio_ci(std::span<const double> baseline, std::span<const double> candidate,
                  double level);

// k-th smallest (1-based) of {b_j - a_i}, both sorted ascending, without
// building the m*n differences (bisection on the count of differences <= t).
double kth_pairwise_difference(std::span<const double> sorted_a, std::span<const double> sorted_b,
                               std::size_t k);

// log of each value, sorted; empty when any value is not positive.
std::vector<double> sorted_logs(std::span<const double> values);

}  // namespace coldbench::stats
