#pragma once
// A monotonic trend across run order: the Mann-Kendall test with Sen's slope.
// A benchmark's runs should be exchangeable; a drift (thermal throttling, a
// filling cache or disk, a background job starting) breaks that, and the
// median then describes no particular moment. docs/machine-noise.md.

#include <span>

namespace coldbench::stats {

struct TrendTest {
  int n = 0;
  double s = 0;          // Kendall's S: concordant minus discordant pairs in run order
  double tau = 0;        // S / (n (n - 1) / 2), in [-1, 1]
  double p_value = 1;    // two-sided, H0: the values are exchangeable (no trend)
  bool exact = false;    // exact null distribution (no ties, n <= kExactTrendMaxN); else normal
  double sen_slope = 0;  // median of (x_j - x_i) / (j - i) over i < j: change per step
};

inline constexpr int kExactTrendMaxN = 60;

// Values in run order. Exact p from the distribution of inversions of a random
// permutation when there are no ties and n <= kExactTrendMaxN; otherwise the
// normal approximation with the tie-corrected variance and a continuity
// correction. Fewer than 3 values: p = 1.
TrendTest mann_kendall(std::span<const double> values);

}  // namespace coldbench::stats
