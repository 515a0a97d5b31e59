#include "stats/descriptive.hpp"

#include <algorithm>
#include <vector>

#include "stats/order_statistics.hpp"

namespace coldbench::stats {

namespace {

std::vector<double> sorted_copy(std::span<const double> values) {
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

// Median of an already sorted, non-empty sample: shared by median() and mad().
double median_of_sorted(std::span<const double> sorted) {
  return quantile_sorted(sorted, 0.5);
}

double mad_of_sorted(std::span<const double> sorted, double center) {
  std::vector<double> deviations;
  deviations.reserve(sorted.size());
  for (double x : sorted) deviations.push_back(std::abs(x - center));
  std::sort(deviations.begin(), deviations.end());
  return median_of_sorted(deviations);
}

}  // namespace

double relative_half_width(const Interval& interval, double center) {
  if (!interval.valid() || !std::isfinite(center) || center == 0.0) return kNaN;
  return std::max(center - interval.low, interval.high - center) / std::fabs(center);
}

double quantile(std::span<const double> values, double p) {
  if (values.empty()) return kNaN;
  const std::vector<double> sorted = sorted_copy(values);
  return quantile_sorted(sorted, p);
}

double median(std::span<const double> values) {
  return quantile(values, 0.5);
}

double mean(std::span<const double> values) {
  if (values.empty()) return kNaN;
  double sum = 0.0;
  for (double x : values) sum += x;
  return sum / static_cast<double>(values.size());
}

double stddev(std::span<const double> values) {
  if (values.size() < 2) return kNaN;
  // Two passes: summing squared deviations from the mean avoids the
  // cancellation of the sum-of-squares formula on large, tightly spread times.
  const double m = mean(values);
  double squares = 0.0;
  for (double x : values) squares += (x - m) * (x - m);
  return std::sqrt(squares / static_cast<double>(values.size() - 1));
}

double mad(std::span<const double> values) {
  if (values.empty()) return kNaN;
  const std::vector<double> sorted = sorted_copy(values);
  return mad_of_sorted(sorted, median_of_sorted(sorted));
}

Summary summarize(std::span<const double> values, double level) {
  Summary summary;
  summary.n = values.size();
  for (Interval* ci : {&summary.median_ci, &summary.p95_ci, &summary.p99_ci}) ci->requested_level = level;
  if (values.empty()) return summary;

  const std::vector<double> sorted = sorted_copy(values);
  summary.min = sorted.front();
  summary.max = sorted.back();
  summary.mean = mean(sorted);
  summary.sd = stddev(sorted);  // NaN for n == 1
  summary.median = median_of_sorted(sorted);
  summary.mad = mad_of_sorted(sorted, summary.median);
  summary.p5 = quantile_sorted(sorted, 0.05);
  summary.p25 = quantile_sorted(sorted, 0.25);
  summary.p75 = quantile_sorted(sorted, 0.75);
  summary.p95 = quantile_sorted(sorted, 0.95);
  summary.p99 = quantile_sorted(sorted, 0.99);
  if (level > 0.0 && level < 1.0) {
    summary.median_ci = quantile_ci_sorted(sorted, 0.5, level, ShortLevel::Widest);
    summary.p95_ci = quantile_ci_sorted(sorted, 0.95, level, ShortLevel::None);
    summary.p99_ci = quantile_ci_sorted(sorted, 0.99, level, ShortLevel::None);
  }
  return summary;
}

}  // namespace coldbench::stats
