#include "stats/bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace coldbench::stats {

namespace {

// Uniform index in [0, n) from std::mt19937_64, whose output sequence the
// standard fixes. std::uniform_int_distribution is implementation-defined, so
// the mapping is ours: Lemire's multiply-shift with rejection (unbiased).
class IndexSampler {
 public:
  IndexSampler(std::uint64_t seed, std::uint64_t n)
      : engine_(seed), n_(n), threshold_((0 - n) % n) {}

  std::size_t next() {
    for (;;) {
      const unsigned __int128 product = static_cast<unsigned __int128>(engine_()) * n_;
      if (static_cast<std::uint64_t>(product) >= threshold_) {
        return static_cast<std::size_t>(product >> 64);
      }
    }
  }

 private:
  std::mt19937_64 engine_;
  std::uint64_t n_;
  std::uint64_t threshold_;  // 2^64 mod n: low words below it are rejected
};

// Type-7 median of one resample of the sorted `source`. Because the source is
// sorted, counting how often each index is drawn is enough: walking the counts
// finds the middle order statistics in O(n), with no sort or selection at all.
class ResampledMedian {
 public:
  ResampledMedian(std::span<const double> sorted_source, std::uint64_t seed)
      : source_(sorted_source),
        sampler_(seed, sorted_source.size()),
        counts_(sorted_source.size()) {}

  double next() {
    std::fill(counts_.begin(), counts_.end(), 0u);
    for (std::size_t i = 0; i < source_.size(); ++i) ++counts_[sampler_.next()];
    const std::size_t lower = (source_.size() - 1) / 2, upper = source_.size() / 2;
    std::size_t seen = 0;
    std::size_t lower_index = source_.size();
    for (std::size_t j = 0;; ++j) {
      seen += counts_[j];
      if (seen > lower && lower_index == source_.size()) lower_index = j;
      if (seen > upper) {
        if (lower == upper) return source_[j];
        const double lower_value = source_[lower_index];
        return lower_value + 0.5 * (source_[j] - lower_value);  // as quantile_sorted(.., 0.5)
      }
    }
  }

 private:
  std::span<const double> source_;
  IndexSampler sampler_;
  std::vector<std::uint32_t> counts_;
};

bool usable(const BootstrapOptions& options) {
  return options.resamples > 0 && options.level > 0.0 && options.level < 1.0;
}

// Percentile interval: the (1 - level) / 2 and (1 + level) / 2 type-7
// quantiles of the bootstrap distribution.
Interval percentile_interval(std::vector<double>& statistics, double level) {
  std::sort(statistics.begin(), statistics.end());
  const double tail = (1.0 - level) / 2.0;
  return Interval{quantile_sorted(statistics, tail), quantile_sorted(statistics, 1.0 - tail),
                  level};
}

// Resampling a sorted copy makes the interval a function of the values alone,
// not of the order they were measured in.
std::vector<double> sorted_copy(std::span<const double> values) {
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

}  // namespace

// A single value (or none) has no sampling variability to resample: invalid.
Interval bootstrap_median_ci(std::span<const double> values, const BootstrapOptions& options) {
  Interval invalid;
  invalid.level = options.level;
  if (values.size() < 2 || !usable(options)) return invalid;

  const std::vector<double> source = sorted_copy(values);
  ResampledMedian resampled(source, options.seed);
  std::vector<double> medians(static_cast<std::size_t>(options.resamples));
  for (double& m : medians) m = resampled.next();
  return percentile_interval(medians, options.level);
}

// Invalid when either side has fewer than 2 values. Resamples whose baseline
// median is 0 give inf/NaN ratios; the interval then comes out invalid.
Interval bootstrap_ratio_of_medians_ci(std::span<const double> baseline,
                                       std::span<const double> candidate,
                                       const BootstrapOptions& options) {
  Interval invalid;
  invalid.level = options.level;
  if (baseline.size() < 2 || candidate.size() < 2 || !usable(options)) return invalid;

  const std::vector<double> base = sorted_copy(baseline);
  const std::vector<double> cand = sorted_copy(candidate);
  // One generator per side (the candidate's seed derived from the baseline's):
  // each side's resamples do not depend on the other side's size.
  ResampledMedian base_median(base, options.seed);
  ResampledMedian cand_median(cand, options.seed ^ 0x9e3779b97f4a7c15ULL);
  std::vector<double> ratios(static_cast<std::size_t>(options.resamples));
  for (double& r : ratios) {
    r = cand_median.next() / base_median.next();
  }
  if (std::any_of(ratios.begin(), ratios.end(), [](double r) { return std::isnan(r); }))
    return invalid;
  return percentile_interval(ratios, options.level);
}

}  // namespace coldbench::stats
