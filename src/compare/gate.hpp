#pragma once
// The regression gate: two sessions (base and current), configs matched by
// name; per config the wall time, every phase both sides report, and the
// latency metric, compared under the one ComparisonPolicy (stats/policy.hpp),
// all quantities one family. A quantity regressed when its verdict is
// "slower"; a config whose runs fail more often than in the base also
// regressed. The gate passes only when every quantity is shown faster or
// equivalent; otherwise it cannot decide (exit 3), with the runs it would
// need. docs/regression-gate.md and docs/statistics.md explain the choices.

#include <span>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/record.hpp"
#include "stats/comparison.hpp"

namespace coldbench::compare {

using Correction = stats::Correction;
using GateOptions = stats::ComparisonPolicy;
using stats::holm_adjust;

enum class QuantityKind { Wall, Phase, Metric };

// One quantity of one config. Samples are one value per successful measured
// run: the wall time, a phase's duration, or the median of the run's latency
// values (a run is the independent unit; iterations within it are not),
// collected by analysis/run_samples.hpp as the report's summary collects them.
struct QuantityDelta {
  std::string quantity;  // "wall", a phase name, or the metric name
  QuantityKind kind = QuantityKind::Wall;
  std::string unit;
  stats::Comparison comparison;  // decided with the whole gate as one family
};

struct ConfigDelta {
  std::string config;
  int base_measured = 0, current_measured = 0;
  int base_failed = 0, current_failed = 0;
  std::vector<QuantityDelta> quantities;
  std::vector<std::string> skipped;  // quantities not compared, and why
  int too_few_runs = 0;              // of those, skipped for fewer than 2 successful runs a side

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
  int undecided() const;     // inconclusive quantities plus those with too few runs to compare
  bool regressed() const { return regressions() > 0; }
  // No regression, and every quantity shown faster or equivalent: the only pass.
  bool passed() const { return !regressed() && undecided() == 0; }
  std::size_t most_runs_needed() const;  // over the inconclusive quantities; 0 when unknown
};

// Errors (exit 2): no config in common, or nothing comparable in any.
Expected<GateResult> compare_sessions(const ResultsDocument& base, const ResultsDocument& current,
                                      const GateOptions& options = {});

std::string_view to_string(QuantityKind kind);
using stats::to_string;

}  // namespace coldbench::compare
