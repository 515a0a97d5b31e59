#include "stats/rank_shift.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numbers>
#include <utility>

namespace coldbench::stats {
namespace {

// Null distribution of U (pairs with a > b) for sizes m, n, as probabilities.
// Conditioning on which sample holds the largest value gives
//   P(i, j, k) = i/(i+j) P(i-1, j, k-j) + j/(i+j) P(i, j-1, k),
// a recursion with only positive terms, so no cancellation and no overflow
// (the raw counts reach C(100, 50) ~ 1e29).
std::vector<double> exact_u_distribution(std::size_t m, std::size_t n) {
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

// A gate compares dozens of quantities of the same sizes: compute each
// distribution once per process (it is symmetric in m, n).
// Each tail summed from its own end keeps tiny p-values exact (1 - cdf would not).
template <typename Tails>
std::shared_ptr<const Tails> cached_u_tails(std::size_t m, std::size_t n) {
  static std::mutex mutex;
  static std::map<std::pair<std::size_t, std::size_t>, std::shared_ptr<const Tails>> cache;
  const auto key = std::minmax(m, n);
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[key];
  if (!slot) {
    const std::vector<double> pmf = exact_u_distribution(key.first, key.second);
    auto tails = std::make_shared<Tails>();
    tails->at_most.resize(pmf.size());
    tails->at_least.resize(pmf.size());
    double sum = 0;
    for (std::size_t k = 0; k < pmf.size(); ++k) tails->at_most[k] = std::min(1.0, sum += pmf[k]);
    sum = 0;
    for (std::size_t k = pmf.size(); k-- > 0;) tails->at_least[k] = std::min(1.0, sum += pmf[k]);
    slot = tails;
  }
  return slot;
}

// Up to this many pairs, selecting from the materialised differences is
// cheaper than bisection; beyond, memory grows as m * n and bisection wins.
constexpr std::size_t kMaterializeMaxPairs = 4096;

}  // namespace

double standard_normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}

RankNull::RankNull(std::size_t m, std::size_t n, double tie_term)
    : m_(static_cast<double>(m)), n_(static_cast<double>(n)) {
  const double total = m_ + n_;
  mean_ = m_ * n_ / 2.0;
  const double variance =
      total > 1.0 ? m_ * n_ / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0))) : 0.0;
  sd_ = variance > 0.0 ? std::sqrt(variance) : 0.0;
  if (m > 0 && n > 0 && m <= kExactRankMaxSize && n <= kExactRankMaxSize && tie_term == 0.0)
    tails_ = cached_u_tails<Tails>(m, n);
}

double RankNull::cdf(double u) const {
  if (tails_) {
    if (u < 0) return 0.0;
    const auto k = static_cast<std::size_t>(std::floor(u + 1e-9));
    return k < tails_->at_most.size() ? tails_->at_most[k] : 1.0;
  }
  if (!(sd_ > 0.0)) return 1.0;  // all values tied: no evidence either way
  return std::clamp(standard_normal_cdf((u + 0.5 - mean_) / sd_), 0.0, 1.0);
}

double RankNull::sf(double u) const {
  if (tails_) {
    const double start = std::ceil(u - 1e-9);
    if (start <= 0) return 1.0;
    const auto k = static_cast<std::size_t>(start);
    return k < tails_->at_least.size() ? tails_->at_least[k] : 0.0;
  }
  if (!(sd_ > 0.0)) return 1.0;
  return std::clamp(1.0 - standard_normal_cdf((u - 0.5 - mean_) / sd_), 0.0, 1.0);
}

PairCount count_pairs_above(std::span<const double> a, std::span<const double> b, double shift) {
  PairCount out;
  // Merge the two sorted samples (b shifted), counting for each tie group how
  // many of a lie below it: O(m + n).
  std::size_t i = 0, j = 0, a_below = 0;
  while (i < a.size() || j < b.size()) {
    const double value =
        j < b.size() && (i >= a.size() || b[j] - shift < a[i]) ? b[j] - shift : a[i];
    std::size_t in_a = 0, in_b = 0;
    while (i < a.size() && a[i] == value) ++i, ++in_a;
    while (j < b.size() && b[j] - shift == value) ++j, ++in_b;
    out.u += double(in_b) * (double(a_below) + 0.5 * double(in_a));
    const double t = double(in_a + in_b);
    out.tie_term += t * t * t - t;
    a_below += in_a;
  }
  return out;
}

std::vector<double> sorted_logs(std::span<const double> values) {
  std::vector<double> logs;
  logs.reserve(values.size());
  for (double v : values) {
    if (!(v > 0.0) || !std::isfinite(v)) return {};
    logs.push_back(std::log(v));
  }
  std::sort(logs.begin(), logs.end());
  return logs;
}

double rank_difference_p(std::span<const double> baseline, std::span<const double> candidate) {
  if (baseline.empty() || candidate.empty()) return kNaN;
  std::vector<double> a(baseline.begin(), baseline.end()), b(candidate.begin(), candidate.end());
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const PairCount count = count_pairs_above(a, b, 0.0);
  const RankNull null(a.size(), b.size(), count.tie_term);
  return std::min(1.0, 2.0 * std::min(null.cdf(count.u), null.sf(count.u)));
}

double rank_equivalence_p(std::span<const double> baseline, std::span<const double> candidate,
                          double threshold) {
  if (!(threshold > 0.0) || baseline.empty() || candidate.empty()) return 1.0;
  const std::vector<double> a = sorted_logs(baseline), b = sorted_logs(candidate);
  if (a.empty() || b.empty()) return 1.0;
  const double margin = std::log1p(threshold);
  // H0 "ratio >= 1 + t": shifted down by the margin, b should still exceed a;
  // few pairs above is the evidence against it. Symmetrically below.
  const PairCount upper = count_pairs_above(a, b, margin);
  const PairCount lower = count_pairs_above(a, b, -margin);
  const double p_upper = RankNull(a.size(), b.size(), upper.tie_term).cdf(upper.u);
  const double p_lower = RankNull(a.size(), b.size(), lower.tie_term).sf(lower.u);
  return std::max(p_upper, p_lower);
}

double kth_pairwise_difference(std::span<const double> a, std::span<const double> b,
                               std::size_t k) {
  if (a.empty() || b.empty() || k < 1 || k > a.size() * b.size()) return kNaN;
  // #{(i, j): b_j - a_i <= t}: for each b_j the a_i that qualify are a suffix
  // of a, and that suffix only shrinks as b_j grows, so one pointer: O(m + n).
  auto count_at_most = [&](double t) {
    std::size_t count = 0, first = 0;
    for (double bj : b) {
      while (first < a.size() && !(bj - a[first] <= t)) ++first;
      count += a.size() - first;
    }
    return count;
  };
  double lo = b.front() - a.back(), hi = b.back() - a.front();
  if (k == 1) return lo;
  if (a.size() * b.size() <= kMaterializeMaxPairs) {
    std::vector<double> differences;
    differences.reserve(a.size() * b.size());
    for (double bj : b)
      for (double ai : a) differences.push_back(bj - ai);
    std::nth_element(differences.begin(), differences.begin() + long(k - 1), differences.end());
    return differences[k - 1];
  }
  if (k == a.size() * b.size()) return hi;
  lo -= std::max(1.0, std::fabs(lo));  // count(lo) == 0 < k <= count(hi) == m n
  for (int iteration = 0; iteration < 4000; ++iteration) {
    const double mid = lo + (hi - lo) / 2.0;
    if (!(mid > lo && mid < hi)) break;  // adjacent doubles: hi is the k-th difference
    if (count_at_most(mid) >= k) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;
}

Interval ratio_ci(std::span<const double> baseline, std::span<const double> candidate,
                  double level) {
  Interval out;
  out.requested_level = level;
  if (baseline.size() < 2 || candidate.size() < 2 || !(level > 0.0 && level < 1.0)) return out;
  const std::vector<double> a = sorted_logs(baseline), b = sorted_logs(candidate);
  if (a.empty() || b.empty()) return out;
  const PairCount count = count_pairs_above(a, b, 0.0);
  const RankNull null(a.size(), b.size(), count.tie_term);
  const auto pairs = a.size() * b.size();
  // Largest k with P(U <= k - 1) <= (1 - level) / 2: coverage 1 - 2 P(U <= k - 1).
  const double tail = (1.0 - level) / 2.0;
  std::size_t k = 1;
  while (k + 1 <= (pairs + 1) / 2 && null.cdf(double(k)) <= tail) ++k;
  out.level = std::max(0.0, 1.0 - 2.0 * null.cdf(double(k) - 1.0));
  out.exact = null.exact();
  if (!out.reached()) {
    // Runs per side at which k = 1 reaches the level: 2 / C(2n, n) <= 1 - level.
    for (std::size_t n = 2; n <= kExactRankMaxSize; ++n) {
      if (1.0 - 2.0 * RankNull(n, n).cdf(0.0) >= level - 1e-9) {
        out.n_needed = n;
        break;
      }
    }
  }
  if (pairs <= kMaterializeMaxPairs) {  // both bounds from one set of differences
    std::vector<double> differences;
    differences.reserve(pairs);
    for (double bj : b)
      for (double ai : a) differences.push_back(bj - ai);
    std::nth_element(differences.begin(), differences.begin() + long(k - 1), differences.end());
    out.low = std::exp(differences[k - 1]);
    std::nth_element(differences.begin() + long(k - 1), differences.begin() + long(pairs - k),
                     differences.end());
    out.high = std::exp(differences[pairs - k]);
    return out;
  }
  out.low = std::exp(kth_pairwise_difference(a, b, k));
  out.high = std::exp(kth_pairwise_difference(a, b, pairs + 1 - k));
  return out;
}

}  // namespace coldbench::stats
