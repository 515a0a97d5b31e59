#pragma once
// How small a change a comparison could have detected, and how many runs it
// would need to decide. The model: log-times normal with the spread observed
// (the pooled SD of the log values), the verdict rule of comparison.hpp. For
// up to kExactRankMaxSize runs a side the power comes from a seeded simulation
// of that rule (exact Mann-Whitney critical values, the median-ratio
// threshold); beyond, from normal approximations. docs/statistics.md.

#include <cstddef>
#include <span>

namespace coldbench::stats {

// Runs per side past which runs_needed() stops counting (returns 0, "unknown").
inline constexpr std::size_t kMaxRunsNeeded = 100000;

// The reported power is met with this margin in the model (the simulation's
// 0.85 quantile for power 0.80), so the claim survives Monte Carlo error.
inline constexpr double kPowerMargin = 0.05;

// Pooled sample SD of the log values around each side's mean; NaN when a
// value is not positive or there are fewer than 3 values in all.
double log_spread(std::span<const double> baseline, std::span<const double> candidate);

// The smallest true ratio r > 1 that the verdict "slower" reaches with
// probability >= `power` at `alpha` (already corrected for the family),
// `threshold` and sizes m, n; by symmetry 1/r is the smallest "faster".
// Infinity when no rank test at these sizes can reach alpha (3 + 3 runs at
// alpha 0.05: the smallest two-sided p is 0.1). NaN when sigma is not finite.
double minimum_detectable_ratio(std::size_t m, std::size_t n, double sigma, double alpha,
                                double threshold, double power);

// Runs per side (equal) with which a true ratio `ratio` gets a conclusive
// verdict with probability >= `power`: "slower"/"faster" beyond the threshold,
// "equivalent" within it (TOST). 0 when unknown (sigma not finite) or more than
// kMaxRunsNeeded.
std::size_t runs_needed(double ratio, double sigma, double alpha, double threshold, double power);

// Power of the TOST equivalence test at a true log ratio, n runs per side
// (normal approximation on the Hodges-Lehmann scale; 0 where the rank test
// cannot reach alpha at n).
double equivalence_power(std::size_t n, double log_ratio, double sigma, double alpha,
                         double threshold);

}  // namespace coldbench::stats
