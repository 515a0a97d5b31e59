#pragma once
// Comparing two samples of times (baseline vs candidate) and reaching one of
// four verdicts under a ComparisonPolicy (policy.hpp). docs/statistics.md.

#include <span>
#include <string_view>

#include "stats/descriptive.hpp"
#include "stats/hypothesis.hpp"
#include "stats/policy.hpp"

namespace coldbench::stats {

// For "lower is better" quantities such as times:
//   Slower       difference test significant (corrected p < alpha) and the
//                ratio of medians above 1 + threshold;
//   Faster       the same below 1 / (1 + threshold);
//   Equivalent   TOST shows the ratio inside [1 / (1 + threshold), 1 + threshold]
//                (corrected p < alpha);
//   Inconclusive none of these: the data cannot tell at this n.
enum class Verdict { Faster, Slower, Equivalent, Inconclusive };
std::string_view to_string(Verdict verdict);

struct Comparison {
  std::size_t n_baseline = 0, n_candidate = 0;
  double median_baseline = kNaN, median_candidate = kNaN;
  double ratio = kNaN;      // median(candidate) / median(baseline)
  Interval ratio_ci;        // Hodges-Lehmann on log ratios, with its actual coverage
  TestResult mann_whitney;  // the difference test (p: two-sided, uncorrected)
  TestResult welch;         // shown for reference; no verdict uses it
  double cohens_d = kNaN;
  double cliffs_delta = kNaN;
  double p_equivalence = 1;           // TOST, uncorrected
  double p_adjusted = 1;              // difference p after the family's correction
  double p_equivalence_adjusted = 1;  // TOST p after the family's correction
  std::size_t family = 1;             // comparisons the correction is over
  double log_sd = kNaN;               // spread the power uses (power.hpp)
  // Smallest slowdown (ratio > 1) that "slower" catches with the policy's
  // power at alpha / family; infinity: none at this n; NaN: unknown.
  double mde_ratio = kNaN;
  // Inconclusive: runs per side expected to decide; 0 when unknown.
  std::size_t runs_needed = 0;
  Verdict verdict = Verdict::Inconclusive;
};

// Everything that does not depend on the family: medians, ratio and its
// interval, the tests' uncorrected p-values, effect sizes, spread. The verdict
// stays Inconclusive until decide_family().
Comparison measure_comparison(std::span<const double> baseline, std::span<const double> candidate,
                              const ComparisonPolicy& policy = {});

// One comparison decided as a family of one. Needs >= 2 values per side for a
// verdict other than Inconclusive.
Comparison compare_samples(std::span<const double> baseline, std::span<const double> candidate,
                           const ComparisonPolicy& policy = {});

// Decides a family together: applies the policy's correction to the
// difference and equivalence p-values, then sets each verdict, MDE and runs
// needed (at alpha / family: Holm's first step, the bar a lone change meets).
void decide_family(std::span<Comparison* const> family, const ComparisonPolicy& policy);

// Only the correction and the verdicts of decide_family, without the minimum
// detectable effect and runs needed (a power model per comparison): what an
// adaptive session's look needs to know.
void decide_verdicts(std::span<Comparison* const> family, const ComparisonPolicy& policy);

// The rule above from the comparison's adjusted p-values.
Verdict decide_verdict(const Comparison& comparison, const ComparisonPolicy& policy);

// A verdict that answers the question: faster, slower or equivalent.
inline bool conclusive(Verdict verdict) {
  return verdict != Verdict::Inconclusive;
}

}  // namespace coldbench::stats
