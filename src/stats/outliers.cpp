#include "stats/outliers.hpp"

#include <cmath>

#include "stats/descriptive.hpp"

namespace coldbench::stats {

namespace {
// 0.6745 is the 0.75 quantile of the standard normal: it puts M on the scale
// of an ordinary z-score for normal data (Iglewicz & Hoaglin).
constexpr double kNormalQuartile = 0.6745;
}  // namespace

std::vector<double> modified_z_scores(std::span<const double> values) {
  std::vector<double> scores(values.size(), 0.0);
  if (values.empty()) return scores;
  const double center = median(values);
  const double spread = mad(values);
  // More than half the values equal: MAD is 0 and the score is undefined;
  // flagging nothing is safer than flagging everything off the median.
  if (!(spread > 0.0)) return scores;
  for (std::size_t i = 0; i < values.size(); ++i) {
    scores[i] = kNormalQuartile * (values[i] - center) / spread;
  }
  return scores;
}

std::vector<std::size_t> outlier_indices(std::span<const double> values, double threshold) {
  const std::vector<double> scores = modified_z_scores(values);
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (std::abs(scores[i]) > threshold) indices.push_back(i);
  }
  return indices;
}

}  // namespace coldbench::stats
