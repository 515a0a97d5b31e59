// The comparison policy's command-line options, one definition for every
// subcommand that compares (run, compare, sweep, report).

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/units.hpp"

namespace coldbench::cli {

void add_policy_options(CLI::App& app, std::string& threshold, std::optional<double>& alpha,
                        std::string& correction) {
  const stats::ComparisonPolicy defaults;
  app.add_option("--threshold", threshold,
                 fmt::format("Smallest change a comparison calls slower or faster; smaller is "
                             "'equivalent', e.g. 5% (default {:g}%)",
                             defaults.threshold * 100.0));
  app.add_option(
      "--alpha", alpha,
      fmt::format("Family-wise error rate of the verdicts (default {:g})", defaults.alpha));
  app.add_option("--correction", correction,
                 fmt::format("Multiple-comparison correction over all comparisons: holm or none "
                             "(default {})",
                             stats::to_string(defaults.correction)));
}

Expected<stats::ComparisonPolicy> comparison_policy(const std::string& threshold,
                                                    const std::optional<double>& alpha,
                                                    const std::string& correction) {
  stats::ComparisonPolicy policy;
  if (!threshold.empty()) {
    auto parsed = parse_percentage(threshold);
    if (!parsed) return parsed.error().with_context("--threshold");
    policy.threshold = *parsed;
  }
  if (alpha) {
    if (!(*alpha > 0 && *alpha < 1))
      return make_error("--alpha {}: give a level between 0 and 1, e.g. --alpha 0.05", *alpha);
    policy.alpha = *alpha;
  }
  if (correction == "holm") {
    policy.correction = stats::Correction::Holm;
  } else if (correction == "none") {
    policy.correction = stats::Correction::None;
  } else if (!correction.empty()) {
    return make_error("--correction: '{}' is not holm or none", correction);
  }
  return policy;
}

}  // namespace coldbench::cli
