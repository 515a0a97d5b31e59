#pragma once
// The regression gate: two sessions (base and current), configs matched by
// name; per config the wall time, every phase both sides report, and the
// latency metric, compared with stats::compare_samples. A quantity regressed
// when its verdict is "slower": Mann-Whitney p (Holm-adjusted over all the
// quantities compared) < alpha, ratio of medians > 1 + threshold, and the
// ratio's 95% bootstrap CI above 1. A config whose runs fail more often than
// in the base also regressed. docs/regression-gate.md explains the choices.

#include <span>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/record.hpp"
#include "stats/comparison.hpp"

namespace coldbench::compare {

enum class Correction { Holm, None };

struct GateOptions {
  double threshold = 0.05;  // fraction: 0.05 = 5%
  double alpha = 0.05;
  Correction correction = Correction::Holm;
  stats::BootstrapOptions bootstrap;
};

enum class QuantityKind { Wall, Phase, Metric };

// One quantity of one config. Samples are one value per successful measured
// run: the wall time, a phase's duration, or the median of the run's latency
// values (a run is the independent unit; iterations within it are not).
struct QuantityDelta {
  std::string quantity;  // "wall", a phase name, or the metric name
  QuantityKind kind = QuantityKind::Wall;
  std::string unit;
  stats::Comparison comparison;  // its verdict uses p_adjusted
  double p_adjusted = 1;         // Mann-Whitney p after the correction
};

struct ConfigDelta {
  std::string config;
  int base_measured = 0, current_measured = 0;
  int base_failed = 0, current_failed = 0;
  std::vector<QuantityDelta> quantities;
  std::vector<std::string> skipped;  // quantities not compared, and why

  // The current session fails a larger share of its measured runs.
  bool more_failures() const;
};

struct GateResult {
  GateOptions options;
  std::vector<ConfigDelta> configs;  // in the base's command order
  std::vector<std::string> only_in_base, only_in_current;
  int tests = 0;  // quantities compared: the family the correction is over

  int regressions() const;   // slower quantities plus configs with more failures
  int improvements() const;  // faster quantities
  bool regressed() const { return regressions() > 0; }
};

// Errors (exit 2): no config in common, or nothing comparable in any.
Expected<GateResult> compare_sessions(const ResultsDocument& base, const ResultsDocument& current,
                                      const GateOptions& options = {});

// Holm-Bonferroni adjusted p-values, in the order given (monotone, at most 1).
std::vector<double> holm_adjust(std::span<const double> p_values);

std::string_view to_string(QuantityKind kind);
std::string_view to_string(Correction correction);

}  // namespace coldbench::compare
