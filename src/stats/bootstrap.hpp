#pragma once
// Percentile-bootstrap confidence intervals, reproducible: a fixed seed and a
// generator/index mapping defined here (not by the standard library), so the
// same data gives the same interval on every platform.

#include <span>

#include "stats/descriptive.hpp"

namespace coldbench::stats {

// CI of the median of `values`.
Interval bootstrap_median_ci(std::span<const double> values, const BootstrapOptions& options = {});

// CI of median(candidate) / median(baseline), resampling both independently.
Interval bootstrap_ratio_of_medians_ci(std::span<const double> baseline, std::span<const double> candidate,
                                       const BootstrapOptions& options = {});

}  // namespace coldbench::stats
