#pragma once
// Descriptive statistics of one sample.
// Quantile definition (the only one used anywhere in coldbench): Hyndman & Fan
// type 7, linear interpolation between order statistics; the default of R's
// quantile() and numpy's percentile(method="linear").

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>

namespace coldbench::stats {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Interval {
  double low = kNaN;
  double high = kNaN;
  double level = 0.95;
  bool valid() const { return std::isfinite(low) && std::isfinite(high); }
};

struct BootstrapOptions {
  int resamples = 10000;
  double level = 0.95;
  unsigned long long seed = 0x636f6c64;  // fixed: the same data always gives the same CI
};

struct Summary {
  std::size_t n = 0;
  double min = kNaN, max = kNaN, mean = kNaN;
  double sd = kNaN;   // sample standard deviation (n - 1); NaN for n < 2
  double median = kNaN;
  double mad = kNaN;  // median absolute deviation from the median, unscaled
  double p5 = kNaN, p25 = kNaN, p75 = kNaN, p95 = kNaN, p99 = kNaN;
  Interval median_ci;  // percentile bootstrap; invalid for n < 2
};

// p in [0, 1]; `sorted` must be ascending and non-empty (NaN otherwise).
double quantile_sorted(std::span<const double> sorted, double p);
double quantile(std::span<const double> values, double p);
double median(std::span<const double> values);
double mean(std::span<const double> values);
double stddev(std::span<const double> values);  // sample (n - 1)
double mad(std::span<const double> values);     // unscaled

// Everything above in one pass over a copy of `values` (empty input -> n == 0, NaNs).
Summary summarize(std::span<const double> values, const BootstrapOptions& bootstrap = {});

}  // namespace coldbench::stats
