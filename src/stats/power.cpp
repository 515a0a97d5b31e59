#include "stats/power.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>
#include <random>
#include <tuple>
#include <vector>

#include "stats/descriptive.hpp"
#include "stats/rank_shift.hpp"

namespace coldbench::stats {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kSimulations =
    2000;  // Monte Carlo SE of the power at 0.85: 0.8 points, under kPowerMargin
constexpr std::uint64_t kSeed = 0x706f776572;  // fixed: the same inputs give the same answer

double z_quantile(double p) {
  return boost::math::quantile(boost::math::normal_distribution<double>(), p);
}

// Standard normal draws from mt19937_64 (whose sequence the standard fixes)
// by Box-Muller: std::normal_distribution differs between libraries.
class NormalSource {
 public:
  explicit NormalSource(std::uint64_t seed) : engine_(seed) {}
  double next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = (double(engine_() >> 11) + 0.5) * 0x1.0p-53;
    const double u2 = double(engine_() >> 11) * 0x1.0p-53;
    const double radius = std::sqrt(-2.0 * std::log(u1));
    spare_ = radius * std::sin(2.0 * std::numbers::pi * u2);
    has_spare_ = true;
    return radius * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// The smallest U (pairs candidate > baseline) whose two-sided p is below
// alpha; 0 when none is.
std::size_t critical_u(std::size_t m, std::size_t n, double alpha) {
  const RankNull null(m, n);
  const std::size_t pairs = m * n;
  std::size_t u = pairs;
  if (!(2.0 * null.sf(double(u)) < alpha)) return 0;
  while (u > 0 && 2.0 * null.sf(double(u - 1)) < alpha) --u;
  return u;
}

// Per simulated standard-normal data set: the shift at which U reaches the
// critical value (the u-th smallest x_i - y_j) and median(y) - median(x).
// With common random numbers the verdict at shift d is "slower" exactly when
// sigma * shift_u < d and log(1 + t) - sigma * median_gap < d.
struct StandardSimulation {
  std::vector<double> shift_u, median_gap;
};

std::shared_ptr<const StandardSimulation> simulate(std::size_t m, std::size_t n,
                                                   std::size_t u_crit) {
  static std::mutex mutex;
  static std::map<std::tuple<std::size_t, std::size_t, std::size_t>,
                  std::shared_ptr<const StandardSimulation>>
      cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[{m, n, u_crit}];
  if (slot) return slot;
  auto out = std::make_shared<StandardSimulation>();
  NormalSource normal(kSeed ^ (m << 20) ^ n);
  std::vector<double> x(m), y(n), differences(m * n);
  for (int s = 0; s < kSimulations; ++s) {
    for (double& v : x) v = normal.next();
    for (double& v : y) v = normal.next();
    std::size_t k = 0;
    for (double xi : x)
      for (double yj : y) differences[k++] = xi - yj;
    // U(d) = #{x_i - y_j < d} reaches u_crit once d passes the u_crit-th smallest.
    std::nth_element(differences.begin(), differences.begin() + long(u_crit - 1),
                     differences.end());
    out->shift_u.push_back(differences[u_crit - 1]);
    out->median_gap.push_back(median(y) - median(x));
  }
  slot = out;
  return slot;
}

}  // namespace

double log_spread(std::span<const double> baseline, std::span<const double> candidate) {
  if (baseline.size() + candidate.size() < 3 || baseline.empty() || candidate.empty()) return kNaN;
  double squares = 0;
  for (auto sample : {baseline, candidate}) {
    double sum = 0;
    for (double v : sample) {
      if (!(v > 0.0) || !std::isfinite(v)) return kNaN;
      sum += std::log(v);
    }
    const double m = sum / double(sample.size());
    for (double v : sample) squares += (std::log(v) - m) * (std::log(v) - m);
  }
  return std::sqrt(squares / double(baseline.size() + candidate.size() - 2));
}

double minimum_detectable_ratio(std::size_t m, std::size_t n, double sigma, double alpha,
                                double threshold, double power) {
  if (!std::isfinite(sigma) || sigma < 0 || m < 2 || n < 2 || !(alpha > 0 && alpha < 1))
    return kNaN;
  const double margin = std::log1p(std::max(threshold, 0.0));
  const double target = std::min(power + kPowerMargin, 0.99);
  if (m <= kExactRankMaxSize && n <= kExactRankMaxSize) {
    const std::size_t u_crit = critical_u(m, n, alpha);
    if (u_crit == 0) return kInf;
    const auto sim = simulate(m, n, u_crit);
    std::vector<double> needed(sim->shift_u.size());
    for (std::size_t s = 0; s < needed.size(); ++s)
      needed[s] = std::max(sigma * sim->shift_u[s], margin - sigma * sim->median_gap[s]);
    // The verdict holds at shift d in the simulations whose needed shift is
    // below d: the target quantile of `needed` is the MDE (log scale). The
    // order statistic at or above it, by selection (runs_needed asks often).
    const auto k = static_cast<std::size_t>(std::ceil(target * double(needed.size()))) - 1;
    std::nth_element(needed.begin(), needed.begin() + long(k), needed.end());
    return std::exp(needed[k]);
  }
  // Large samples: both conditions normal; each gets half the miss probability.
  const double h = std::sqrt(1.0 / double(m) + 1.0 / double(n));
  const double z_power = z_quantile(1.0 - (1.0 - target) / 2.0);
  const double test =
      (z_quantile(1.0 - alpha / 2.0) + z_power) * sigma * std::sqrt(std::numbers::pi / 3.0) * h;
  const double beyond = margin + z_power * sigma * std::sqrt(std::numbers::pi / 2.0) * h;
  return std::exp(std::max(test, beyond));
}

double equivalence_power(std::size_t n, double log_ratio, double sigma, double alpha,
                         double threshold) {
  if (!(threshold > 0) || n < 2 || !std::isfinite(sigma)) return 0.0;
  // The smallest one-sided p of a rank test at n + n is 1 / C(2n, n).
  if (!(RankNull(n, n).cdf(0.0) < alpha)) return 0.0;
  const double margin = std::log1p(threshold), d = std::fabs(log_ratio);
  if (d >= margin) return 0.0;
  if (sigma == 0.0) return 1.0;
  const double se = sigma * std::sqrt(std::numbers::pi / 3.0) * std::sqrt(2.0 / double(n));
  const double z = z_quantile(1.0 - alpha);
  return std::max(0.0, standard_normal_cdf((margin - d) / se - z) +
                           standard_normal_cdf((margin + d) / se - z) - 1.0);
}

std::size_t runs_needed(double ratio, double sigma, double alpha, double threshold, double power) {
  if (!std::isfinite(sigma) || !(ratio > 0) || !std::isfinite(ratio)) return 0;
  const double d = std::fabs(std::log(ratio));
  const double target = std::min(power + kPowerMargin, 0.99);
  auto decides = [&](std::size_t n) {
    if (d > std::log1p(std::max(threshold, 0.0))) {
      const double mde = minimum_detectable_ratio(n, n, sigma, alpha, threshold, power);
      return std::isfinite(mde) && std::log(mde) <= d;
    }
    return equivalence_power(n, d, sigma, alpha, threshold) >= target;
  };
  // Exponential then binary search; both powers grow with n.
  std::size_t high = 2;
  while (!decides(high)) {
    if (high >= kMaxRunsNeeded) return 0;
    high = std::min(high * 2, kMaxRunsNeeded);
  }
  std::size_t low = high / 2;  // does not decide (or is below 2)
  while (high - low > 1) {
    const std::size_t mid = low + (high - low) / 2;
    (decides(mid) ? high : low) = mid;
  }
  return std::max<std::size_t>(high, 2);
}

}  // namespace coldbench::stats
