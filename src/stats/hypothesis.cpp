#include "stats/hypothesis.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstddef>
#include <vector>

#include "stats/descriptive.hpp"
#include "stats/rank_shift.hpp"

namespace coldbench::stats {

namespace {

struct Ranked {
  double rank_sum_a = 0;  // sum of the midranks of the first sample
  double tie_term = 0;    // sum over tie groups of t^3 - t
};

// Midranks of the pooled sample (ties share the average rank).
Ranked rank_pooled(std::span<const double> a, std::span<const double> b) {
  struct Item {
    double value;
    bool from_a;
  };
  std::vector<Item> pooled;
  pooled.reserve(a.size() + b.size());
  for (double x : a) pooled.push_back({x, true});
  for (double x : b) pooled.push_back({x, false});
  std::sort(pooled.begin(), pooled.end(),
            [](const Item& l, const Item& r) { return l.value < r.value; });

  Ranked ranked;
  for (std::size_t start = 0; start < pooled.size();) {
    std::size_t end = start + 1;
    while (end < pooled.size() && pooled[end].value == pooled[start].value) ++end;
    const double group = static_cast<double>(end - start);
    const double midrank = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2.0;
    for (std::size_t i = start; i < end; ++i) {
      if (pooled[i].from_a) ranked.rank_sum_a += midrank;
    }
    ranked.tie_term += group * group * group - group;
    start = end;
  }
  return ranked;
}

double variance_or_zero(std::span<const double> values) {
  if (values.size() < 2) return 0.0;
  const double sd = stddev(values);
  return sd * sd;
}

}  // namespace

// An empty sample gives U = NaN and p = NaN: there is nothing to test.
TestResult mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  TestResult result;
  if (a.empty() || b.empty()) {
    result.statistic = kNaN;
    result.p_value = kNaN;
    return result;
  }
  const Ranked ranked = rank_pooled(a, b);
  const double n1 = static_cast<double>(a.size());
  result.statistic = ranked.rank_sum_a - n1 * (n1 + 1.0) / 2.0;
  // One null distribution for every rank-based answer (rank_shift.hpp).
  const RankNull null(a.size(), b.size(), ranked.tie_term);
  result.exact = null.exact();
  result.p_value = std::min(1.0, 2.0 * std::min(null.cdf(result.statistic), null.sf(result.statistic)));
  return result;
}

// t = (mean(a) - mean(b)) / se, the sign scipy.stats.ttest_ind uses.
// Fewer than 2 values on a side, or zero variance on both, leaves the test
// undefined: t, df and p are NaN (as scipy gives), never an exception.
TestResult welch_t_test(std::span<const double> a, std::span<const double> b) {
  TestResult result;
  result.statistic = kNaN;
  result.p_value = kNaN;
  result.df = kNaN;
  if (a.size() < 2 || b.size() < 2) return result;

  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  const double va = variance_or_zero(a) / na, vb = variance_or_zero(b) / nb;
  const double se2 = va + vb;
  if (!(se2 > 0.0) || !std::isfinite(se2)) return result;

  result.statistic = (mean(a) - mean(b)) / std::sqrt(se2);
  result.df = se2 * se2 / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
  if (!std::isfinite(result.statistic) || !(result.df > 0.0) || !std::isfinite(result.df))
    return result;
  const boost::math::students_t_distribution<double> dist(result.df);
  result.p_value = std::min(
      1.0, 2.0 * boost::math::cdf(boost::math::complement(dist, std::abs(result.statistic))));
  return result;
}

// NaN when the pooled standard deviation is zero or undefined (fewer than 3
// values in all, or no spread at all): the effect size has no scale.
double cohens_d(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty() || a.size() + b.size() < 3) return kNaN;
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  const double pooled = std::sqrt(
      ((na - 1.0) * variance_or_zero(a) + (nb - 1.0) * variance_or_zero(b)) / (na + nb - 2.0));
  if (!(pooled > 0.0)) return kNaN;
  return (mean(b) - mean(a)) / pooled;
}

// NaN when either sample is empty. Sorting `a` once makes it O((n + m) log n).
double cliffs_delta(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) return kNaN;
  std::vector<double> sorted(a.begin(), a.end());
  std::sort(sorted.begin(), sorted.end());
  double balance = 0;  // #(b > a) - #(b < a)
  for (double y : b) {
    const auto below = std::lower_bound(sorted.begin(), sorted.end(), y) - sorted.begin();
    const auto above = sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), y);
    balance += static_cast<double>(below - above);
  }
  return balance / (static_cast<double>(a.size()) * static_cast<double>(b.size()));
}

}  // namespace coldbench::stats
