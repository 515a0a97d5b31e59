#pragma once
// Distribution-free confidence intervals for a quantile from order statistics.
// For i.i.d. continuous data, the number B of values below the p-quantile is
// Binomial(n, p), so [x_(l), x_(u)] (1-based) covers it with probability
// P(l <= B <= u - 1), whatever the distribution: the coverage is exact, not
// nominal. Ties (discrete data) only raise it. docs/statistics.md.

#include <cstddef>
#include <span>

#include "stats/descriptive.hpp"

namespace coldbench::stats {

// What to return when no pair of order statistics reaches the level.
enum class ShortLevel {
  Widest,  // [min, max] with its actual coverage (the median: still informative)
  None,    // no interval, only n_needed (tail quantiles: [min, max] of 5 values is not a p99 CI)
};

// The pair with the smallest coverage >= `level` (ties: the most balanced
// tails). `sorted` ascending; p and level in (0, 1). Invalid for n < 2.
Interval quantile_ci_sorted(std::span<const double> sorted, double p, double level,
                            ShortLevel short_level);

// The smallest n for which some pair reaches `level` for the p-quantile:
// 1 - p^n - (1 - p)^n >= level (the [min, max] pair). p99 at 95%: 299.
std::size_t min_n_for_quantile_ci(double p, double level);

// P(l <= B <= u - 1) for B ~ Binomial(n, p): the coverage of [x_(l), x_(u)].
double order_statistic_coverage(std::size_t n, double p, std::size_t l, std::size_t u);

}  // namespace coldbench::stats
