#pragma once
// Descriptive statistics of one sample. Quantiles are core/quantile.hpp's
// (type 7), the one definition coldbench-torch uses too.

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>

#include "core/quantile.hpp"

namespace coldbench::stats {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline constexpr double kDefaultLevel = 0.95;

// A confidence interval that says what it is: `level` is its actual coverage
// (exact for continuous data where `exact`), which falls short of
// `requested_level` when the sample is too small to reach it. docs/statistics.md.
struct Interval {
  double low = kNaN;
  double high = kNaN;
  double level = 0;                        // actual coverage; 0 when there is no interval
  double requested_level = kDefaultLevel;  // what was asked for
  bool exact = true;                       // coverage from an exact distribution, not an approximation
  std::size_t n_needed = 0;                // where the level is not reached: the n that reaches it
  bool valid() const { return std::isfinite(low) && std::isfinite(high); }
  // The requested level was reached (a tolerance for the rounding of binomial sums).
  bool reached() const { return valid() && level >= requested_level - 1e-9; }
};

struct Summary {
  std::size_t n = 0;
  double min = kNaN, max = kNaN, mean = kNaN;
  double sd = kNaN;   // sample standard deviation (n - 1); NaN for n < 2
  double median = kNaN;
  double mad = kNaN;  // median absolute deviation from the median, unscaled
  double p5 = kNaN, p25 = kNaN, p75 = kNaN, p95 = kNaN, p99 = kNaN;
  // Order-statistic intervals (order_statistics.hpp). The median's is the
  // widest pair with its actual coverage when n cannot reach the level (n >= 2);
  // p95's and p99's are invalid, with n_needed, until n reaches the level.
  Interval median_ci, p95_ci, p99_ci;
};

// The larger distance from `center` to an end of `interval`, as a fraction of
// |center|: "the median is known to within 2%" (adaptive stopping asks this).
// NaN for an invalid interval or a zero center.
double relative_half_width(const Interval& interval, double center);

// p in [0, 1]; `sorted` must be ascending and non-empty (NaN otherwise).
using coldbench::quantile_sorted;
double quantile(std::span<const double> values, double p);
double median(std::span<const double> values);
double mean(std::span<const double> values);
double stddev(std::span<const double> values);  // sample (n - 1)
double mad(std::span<const double> values);     // unscaled

// Everything above in one pass over a copy of `values` (empty input -> n == 0, NaNs).
// `level`: of the intervals; 0 leaves them out.
Summary summarize(std::span<const double> values, double level = kDefaultLevel);

}  // namespace coldbench::stats
