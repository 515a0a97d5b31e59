#pragma once
// The one quantile definition in coldbench, shared by the harness's
// statistics (src/stats) and coldbench-torch's latency summary: Hyndman &
// Fan type 7, linear interpolation between order statistics; the default of
// R's quantile() and numpy's percentile(method="linear").

#include <span>

namespace coldbench {

// p in [0, 1]; `sorted` must be ascending and non-empty (NaN otherwise, and
// for a p outside [0, 1] or NaN).
double quantile_sorted(std::span<const double> sorted, double p);

}  // namespace coldbench
