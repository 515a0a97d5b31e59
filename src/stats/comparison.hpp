#pragma once
// Comparing two samples (baseline vs candidate) and reaching a verdict.

#include <span>
#include <string_view>

#include "stats/descriptive.hpp"
#include "stats/hypothesis.hpp"

namespace coldbench::stats {

enum class Verdict { Faster, Slower, NoDifference };
std::string_view to_string(Verdict verdict);

struct ComparisonOptions {
  double threshold = 0.0;  // fraction: a change smaller than this is "no difference" (0.05 = 5%)
  double alpha = 0.05;
  BootstrapOptions bootstrap;
};

struct Comparison {
  std::size_t n_baseline = 0, n_candidate = 0;
  double median_baseline = kNaN, median_candidate = kNaN;
  double ratio = kNaN;  // median(candidate) / median(baseline)
  Interval ratio_ci;
  TestResult mann_whitney;
  TestResult welch;
  double cohens_d = kNaN;
  double cliffs_delta = kNaN;
  Verdict verdict = Verdict::NoDifference;
};

// Verdict rule (for "lower is better" quantities such as times):
// Slower when Mann-Whitney p < alpha, ratio > 1 + threshold and the ratio's CI
// lies entirely above 1; Faster symmetrically (ratio < 1 / (1 + threshold),
// CI entirely below 1); otherwise NoDifference. Needs >= 2 values per side.
Comparison compare_samples(std::span<const double> baseline, std::span<const double> candidate,
                           const ComparisonOptions& options = {});

// The rule above with another Mann-Whitney p-value in place of the
// comparison's own (e.g. one adjusted for multiple comparisons).
Verdict decide_verdict(const Comparison& comparison, double p_value, const ComparisonOptions& options);

}  // namespace coldbench::stats
