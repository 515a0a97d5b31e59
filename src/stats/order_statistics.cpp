#include "stats/order_statistics.hpp"

#include <cmath>
#include <map>
#include <utility>
#include <vector>

namespace coldbench::stats {
namespace {

// cdf[k] = P(B <= k - 1) for B ~ Binomial(n, p), k = 0..n+1, from log-space
// terms (lgamma), so n in the millions neither overflows nor underflows.
std::vector<double> binomial_cdf_shifted(std::size_t n, double p) {
  std::vector<double> cdf(n + 2, 0.0);
  const double log_p = std::log(p), log_q = std::log1p(-p);
  const double log_n_factorial = std::lgamma(static_cast<double>(n) + 1.0);
  double running = 0.0;
  for (std::size_t k = 0; k <= n; ++k) {
    const double kd = static_cast<double>(k), rest = static_cast<double>(n - k);
    const double log_term = log_n_factorial - std::lgamma(kd + 1.0) - std::lgamma(rest + 1.0) +
                            kd * log_p + rest * log_q;
    running += std::exp(log_term);
    cdf[k + 1] = std::min(running, 1.0);
  }
  return cdf;
}

// Summaries and simulations ask for the same (n, p) over and over: keep the
// last few tables per thread (small n only, so the memory stays bounded).
const std::vector<double>& binomial_cdf_cached(std::size_t n, double p) {
  constexpr std::size_t kCachedMaxN = 4096;
  thread_local std::map<std::pair<std::size_t, double>, std::vector<double>> cache;
  thread_local std::vector<double> uncached;
  if (n > kCachedMaxN) return uncached = binomial_cdf_shifted(n, p);
  auto [it, added] = cache.try_emplace({n, p});
  if (added) it->second = binomial_cdf_shifted(n, p);
  return it->second;
}

bool usable(double p, double level) {
  return p > 0.0 && p < 1.0 && level > 0.0 && level < 1.0;
}

}  // namespace

double order_statistic_coverage(std::size_t n, double p, std::size_t l, std::size_t u) {
  if (!(p > 0.0 && p < 1.0) || l < 1 || u <= l || u > n) return 0.0;
  const std::vector<double> cdf = binomial_cdf_shifted(n, p);
  return cdf[u] - cdf[l];  // P(B <= u - 1) - P(B <= l - 1)
}

std::size_t min_n_for_quantile_ci(double p, double level) {
  if (!usable(p, level)) return 0;
  // 1 - p^n - q^n grows with n; a p of 1e-7 needs ~3e7, past any run count.
  for (std::size_t n = 2; n <= 100'000'000; ++n) {
    const double widest = 1.0 - std::pow(p, double(n)) - std::pow(1.0 - p, double(n));
    if (widest >= level) return n;
  }
  return 0;
}

Interval quantile_ci_sorted(std::span<const double> sorted, double p, double level,
                            ShortLevel short_level) {
  Interval out;
  out.requested_level = level;
  const std::size_t n = sorted.size();
  if (!usable(p, level)) return out;
  if (n < 2) {
    out.n_needed = min_n_for_quantile_ci(p, level);
    return out;
  }
  const std::vector<double>& cdf = binomial_cdf_cached(n, p);
  auto coverage = [&](std::size_t l, std::size_t u) { return cdf[u] - cdf[l]; };
  // Two pointers: for each l the smallest u reaching the level; that u never
  // decreases as l grows, so the search is O(n).
  std::size_t best_l = 0, best_u = 0;
  double best = 2.0, best_imbalance = 2.0;
  std::size_t u = 2;
  for (std::size_t l = 1; l < n; ++l) {
    if (u <= l) u = l + 1;
    while (u <= n && coverage(l, u) < level) ++u;
    if (u > n) break;
    const double c = coverage(l, u);
    const double imbalance = std::fabs(cdf[l] - (1.0 - cdf[u]));  // lower tail vs upper tail
    if (c < best - 1e-12 || (c <= best + 1e-12 && imbalance < best_imbalance)) {
      best = c;
      best_imbalance = imbalance;
      best_l = l;
      best_u = u;
    }
  }
  if (best_l == 0) {  // even [min, max] falls short
    out.n_needed = min_n_for_quantile_ci(p, level);
    if (short_level == ShortLevel::None) return out;
    best_l = 1;
    best_u = n;
    best = coverage(1, n);
  }
  out.low = sorted[best_l - 1];
  out.high = sorted[best_u - 1];
  out.level = best;
  return out;
}

}  // namespace coldbench::stats
