#pragma once
// The comparison policy: the one place that says how coldbench decides
// "faster", "slower", "equivalent" or "inconclusive". `run`, `compare`,
// `report` and sweeps all start from these defaults, so the same data gets
// the same verdict everywhere; docs/statistics.md explains each choice.

#include <span>
#include <string_view>
#include <vector>

#include "stats/descriptive.hpp"

namespace coldbench::stats {

enum class Correction { Holm, None };

struct ComparisonPolicy {
  // A change smaller than this is "equivalent", not slower or faster (0.05 = 5%).
  double threshold = 0.05;
  // Family-wise error rate of the "slower"/"faster" verdicts, and of "equivalent".
  double alpha = 0.05;
  Correction correction = Correction::Holm;  // over every comparison of a session or gate
  double level = kDefaultLevel;              // of the intervals shown
  double power = 0.80;                       // of the minimum detectable effect and runs needed
};

// Holm-Bonferroni adjusted p-values, in the order given (monotone, at most 1).
std::vector<double> holm_adjust(std::span<const double> p_values);

// The p-values after `correction`: Holm-adjusted, or the same values.
std::vector<double> adjust(std::span<const double> p_values, Correction correction);

std::string_view to_string(Correction correction);

}  // namespace coldbench::stats
