#include "core/quantile.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace coldbench {

double quantile_sorted(std::span<const double> sorted, double p) {
  // `!(p >= 0 && p <= 1)` also rejects a NaN p.
  if (sorted.empty() || !(p >= 0.0 && p <= 1.0)) return std::numeric_limits<double>::quiet_NaN();
  // Type 7: h = (n - 1) p, interpolate between the order statistics around h.
  const double h = static_cast<double>(sorted.size() - 1) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double fraction = h - static_cast<double>(lo);
  if (fraction == 0.0) return sorted[lo];  // exact order statistic, no rounding noise
  return sorted[lo] + fraction * (sorted[hi] - sorted[lo]);
}

}  // namespace coldbench
