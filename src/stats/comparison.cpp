#include "stats/comparison.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "stats/power.hpp"
#include "stats/rank_shift.hpp"

namespace coldbench::stats {

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::Faster:
      return "faster";
    case Verdict::Slower:
      return "slower";
    case Verdict::Equivalent:
      return "equivalent";
    case Verdict::Inconclusive:
      break;
  }
  return "inconclusive";
}

// Significance alone is not enough for slower/faster: the change must also
// exceed the threshold, so a trivially small but certain shift reads as
// equivalent (or inconclusive), never as a regression.
Verdict decide_verdict(const Comparison& c, const ComparisonPolicy& policy) {
  if (c.n_baseline < 2 || c.n_candidate < 2 || !std::isfinite(c.ratio))
    return Verdict::Inconclusive;
  const double slower_above = 1.0 + policy.threshold;
  if (c.p_adjusted < policy.alpha) {
    if (c.ratio > slower_above) return Verdict::Slower;
    if (c.ratio < 1.0 / slower_above) return Verdict::Faster;
  }
  if (c.p_equivalence_adjusted < policy.alpha) return Verdict::Equivalent;
  return Verdict::Inconclusive;
}

Comparison measure_comparison(std::span<const double> baseline, std::span<const double> candidate,
                              const ComparisonPolicy& policy) {
  Comparison c;
  c.n_baseline = baseline.size();
  c.n_candidate = candidate.size();
  c.median_baseline = median(baseline);
  c.median_candidate = median(candidate);
  c.ratio = c.median_candidate / c.median_baseline;
  c.ratio_ci = ratio_ci(baseline, candidate, policy.level);
  c.mann_whitney = mann_whitney_u(baseline, candidate);
  c.welch = welch_t_test(baseline, candidate);
  c.cohens_d = cohens_d(baseline, candidate);
  c.cliffs_delta = cliffs_delta(baseline, candidate);
  c.p_equivalence = rank_equivalence_p(baseline, candidate, policy.threshold);
  c.log_sd = log_spread(baseline, candidate);
  return c;
}

Comparison compare_samples(std::span<const double> baseline, std::span<const double> candidate,
                           const ComparisonPolicy& policy) {
  Comparison c = measure_comparison(baseline, candidate, policy);
  Comparison* self = &c;
  decide_family(std::span<Comparison* const>(&self, 1), policy);
  return c;
}

void decide_verdicts(std::span<Comparison* const> family, const ComparisonPolicy& policy) {
  std::vector<double> difference, equivalence;
  for (const Comparison* c : family) {
    const double p = c->mann_whitney.p_value;
    difference.push_back(std::isfinite(p) ? p : 1.0);
    equivalence.push_back(std::isfinite(c->p_equivalence) ? c->p_equivalence : 1.0);
  }
  difference = adjust(difference, policy.correction);
  equivalence = adjust(equivalence, policy.correction);
  for (std::size_t k = 0; k < family.size(); ++k) {
    Comparison& c = *family[k];
    c.family = std::max<std::size_t>(family.size(), 1);
    c.p_adjusted = difference[k];
    c.p_equivalence_adjusted = equivalence[k];
    c.verdict = decide_verdict(c, policy);
  }
}

void decide_family(std::span<Comparison* const> family, const ComparisonPolicy& policy) {
  decide_verdicts(family, policy);
  const std::size_t size = std::max<std::size_t>(family.size(), 1);
  const double alpha_one =
      policy.correction == Correction::Holm ? policy.alpha / double(size) : policy.alpha;
  for (Comparison* member : family) {
    Comparison& c = *member;
    c.mde_ratio = minimum_detectable_ratio(c.n_baseline, c.n_candidate, c.log_sd, alpha_one,
                                           policy.threshold, policy.power);
    c.runs_needed = 0;
    if (c.verdict == Verdict::Inconclusive && std::isfinite(c.ratio)) {
      const std::size_t needed =
          runs_needed(c.ratio, c.log_sd, alpha_one, policy.threshold, policy.power);
      // The estimate assumes the observed ratio is the true one; it never
      // promises a decision from the runs already made.
      if (needed > 0) c.runs_needed = std::max(needed, std::max(c.n_baseline, c.n_candidate) + 1);
    }
  }
}

}  // namespace coldbench::stats
