#pragma once
// Outlier detection by modified z-score (Iglewicz & Hoaglin):
// M_i = 0.6745 * (x_i - median) / MAD. Flagged, never dropped.

#include <cstddef>
#include <span>
#include <vector>

namespace coldbench::stats {

inline constexpr double kOutlierThreshold = 3.5;

// Modified z-scores of every value; all zeros when MAD is zero.
std::vector<double> modified_z_scores(std::span<const double> values);

// Indices of values whose |modified z| exceeds `threshold`.
std::vector<std::size_t> outlier_indices(std::span<const double> values, double threshold = kOutlierThreshold);

}  // namespace coldbench::stats
