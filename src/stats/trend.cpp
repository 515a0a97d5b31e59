#include "stats/trend.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace coldbench::stats {
namespace {

// P(inversions <= k) for a uniformly random permutation of n distinct values,
// from the Mahonian recurrence; each step divides by its length so the
// probabilities stay in range for every n.
double inversions_cdf(int n, long k) {
  const long max_inversions = long(n) * (n - 1) / 2;
  if (k < 0) return 0.0;
  if (k >= max_inversions) return 1.0;
  std::vector<double> p(static_cast<std::size_t>(max_inversions) + 1, 0.0), next(p.size());
  p[0] = 1.0;
  long reach = 0;  // largest inversion count possible so far
  for (int m = 2; m <= n; ++m) {
    // Inserting the m-th value adds 0..m-1 inversions, each with probability 1/m.
    const long new_reach = reach + m - 1;
    double window = 0;
    for (long i = 0; i <= new_reach; ++i) {
      if (i <= reach) window += p[i];
      if (i - m >= 0) window -= p[i - m];
      next[i] = window / m;
    }
    reach = new_reach;
    std::swap(p, next);
  }
  double cdf = 0;
  for (long i = 0; i <= k; ++i) cdf += p[i];
  return std::min(cdf, 1.0);
}

double median_of(std::vector<double>& values) {
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  double lower = *std::max_element(values.begin(), values.begin() + mid);
  return (lower + upper) / 2;
}

}  // namespace

TrendTest mann_kendall(std::span<const double> x) {
  TrendTest t;
  t.n = static_cast<int>(x.size());
  if (t.n < 3) return t;
  const long n = t.n;
  long s = 0, discordant = 0;
  std::vector<double> slopes;
  slopes.reserve(static_cast<std::size_t>(n * (n - 1) / 2));
  for (long i = 0; i < n; ++i) {
    for (long j = i + 1; j < n; ++j) {
      if (x[j] > x[i]) ++s;
      if (x[j] < x[i]) {
        --s;
        ++discordant;
      }
      slopes.push_back((x[j] - x[i]) / double(j - i));
    }
  }
  const long pairs = n * (n - 1) / 2;
  t.s = double(s);
  t.tau = double(s) / double(pairs);
  t.sen_slope = median_of(slopes);

  std::map<double, long> counts;
  for (double v : x) ++counts[v];
  const bool ties = counts.size() < x.size();
  if (!ties && n <= kExactTrendMaxN) {
    // S = pairs - 2 * inversions, and the null distribution is symmetric.
    const long extreme = std::min(discordant, pairs - discordant);
    t.p_value = std::min(1.0, 2.0 * inversions_cdf(t.n, extreme));
    t.exact = true;
    return t;
  }
  double variance = double(n) * (n - 1) * (2 * n + 5);
  for (const auto& [value, count] : counts)
    variance -= double(count) * (count - 1) * (2 * count + 5);
  variance /= 18.0;
  if (variance <= 0) return t;  // every value equal: no evidence of anything
  const double corrected = s > 0 ? double(s) - 1 : s < 0 ? double(s) + 1 : 0.0;
  const double z = corrected / std::sqrt(variance);
  t.p_value = std::min(1.0, std::erfc(std::fabs(z) / std::sqrt(2.0)));
  return t;
}

}  // namespace coldbench::stats
