#include "stats/comparison.hpp"

#include "stats/bootstrap.hpp"

namespace coldbench::stats {

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::Faster:
      return "faster";
    case Verdict::Slower:
      return "slower";
    case Verdict::NoDifference:
      return "no detectable difference";
  }
  return "no detectable difference";
}

// Significance alone is not enough for a verdict: the change must also exceed
// the threshold and its CI must exclude "no change", so noise and trivially
// small shifts both read as no difference.
Verdict decide_verdict(const Comparison& c, double p_value, const ComparisonOptions& options) {
  if (c.n_baseline < 2 || c.n_candidate < 2) return Verdict::NoDifference;
  if (!(p_value < options.alpha) || !c.ratio_ci.valid())
    return Verdict::NoDifference;
  const double slower_above = 1.0 + options.threshold;
  if (c.ratio > slower_above && c.ratio_ci.low > 1.0) return Verdict::Slower;
  if (c.ratio < 1.0 / slower_above && c.ratio_ci.high < 1.0) return Verdict::Faster;
  return Verdict::NoDifference;
}

Comparison compare_samples(std::span<const double> baseline, std::span<const double> candidate,
                           const ComparisonOptions& options) {
  Comparison c;
  c.n_baseline = baseline.size();
  c.n_candidate = candidate.size();
  c.median_baseline = median(baseline);
  c.median_candidate = median(candidate);
  c.ratio = c.median_candidate / c.median_baseline;
  c.ratio_ci = bootstrap_ratio_of_medians_ci(baseline, candidate, options.bootstrap);
  c.mann_whitney = mann_whitney_u(baseline, candidate);
  c.welch = welch_t_test(baseline, candidate);
  c.cohens_d = cohens_d(baseline, candidate);
  c.cliffs_delta = cliffs_delta(baseline, candidate);
  c.verdict = decide_verdict(c, c.mann_whitney.p_value, options);
  return c;
}

}  // namespace coldbench::stats
