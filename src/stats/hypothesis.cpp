#include "stats/hypothesis.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstddef>
#include <vector>

#include "stats/descriptive.hpp"

namespace coldbench::stats {

namespace {

constexpr std::size_t kExactMaxSize = 50;

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

// Null distribution of U (pairs with a > b) for sizes m, n, as probabilities.
// Conditioning on which sample holds the largest value gives
//   P(i, j, k) = i/(i+j) P(i-1, j, k-j) + j/(i+j) P(i, j-1, k),
// a recursion with only positive terms, so no cancellation and no overflow
// (the raw counts reach C(100, 50) ~ 1e29).
std::vector<double> exact_u_distribution(std::size_t m, std::size_t n) {
  // prev[j] / cur[j]: the distribution for (i - 1, j) / (i, j), length i*j + 1.
  std::vector<std::vector<double>> prev(n + 1, std::vector<double>{1.0});
  for (std::size_t i = 1; i <= m; ++i) {
    std::vector<std::vector<double>> cur(n + 1);
    cur[0] = {1.0};
    for (std::size_t j = 1; j <= n; ++j) {
      const double total = static_cast<double>(i + j);
      const double from_a = static_cast<double>(i) / total;
      const double from_b = static_cast<double>(j) / total;
      std::vector<double>& out = cur[j];
      out.assign(i * j + 1, 0.0);
      for (std::size_t k = 0; k < prev[j].size(); ++k) out[k + j] += from_a * prev[j][k];
      for (std::size_t k = 0; k < cur[j - 1].size(); ++k) out[k] += from_b * cur[j - 1][k];
    }
    prev = std::move(cur);
  }
  return prev[n];
}

double exact_two_sided_p(double u, std::size_t m, std::size_t n) {
  const std::vector<double> pmf = exact_u_distribution(m, n);
  const auto k = static_cast<std::size_t>(std::llround(u));
  double lower = 0, upper = 0;  // P(U <= u), P(U >= u)
  for (std::size_t i = 0; i < pmf.size(); ++i) {
    if (i <= k) lower += pmf[i];
    if (i >= k) upper += pmf[i];
  }
  return std::min(1.0, 2.0 * std::min(lower, upper));
}

// As scipy.stats.mannwhitneyu(method='asymptotic', use_continuity=True).
double asymptotic_two_sided_p(double u, std::size_t m, std::size_t n, double tie_term) {
  const double n1 = static_cast<double>(m), n2 = static_cast<double>(n), total = n1 + n2;
  const double mu = n1 * n2 / 2.0;
  const double variance = n1 * n2 / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0)));
  // All values tied: no spread, no evidence of a difference.
  if (!(variance > 0.0)) return 1.0;
  const double z = (std::max(u, n1 * n2 - u) - mu - 0.5) / std::sqrt(variance);
  const double p = 2.0 * boost::math::cdf(boost::math::complement(
                             boost::math::normal_distribution<double>(), z));
  return std::clamp(p, 0.0, 1.0);
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
  result.exact = a.size() <= kExactMaxSize && b.size() <= kExactMaxSize && ranked.tie_term == 0.0;
  result.p_value =
      result.exact ? exact_two_sided_p(result.statistic, a.size(), b.size())
                   : asymptotic_two_sided_p(result.statistic, a.size(), b.size(), ranked.tie_term);
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
