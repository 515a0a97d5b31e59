#include "report/text_format.hpp"

#include <cmath>

#include <fmt/format.h>

#include "core/units.hpp"

namespace coldbench::report {

std::string format_value(double value, const std::string& unit) {
  if (!std::isfinite(value)) return "n/a";
  if (unit == "ms") return format_ms(value);
  if (unit == "s") return format_ms(value * 1e3);
  if (unit == "KiB") return format_bytes(value * 1024.0);
  if (unit == "bytes" || unit == "B") return format_bytes(value);
  if (unit == "%") return fmt::format("{:.1f} %", value);
  std::string number = std::fabs(value) >= 1e5 || (std::fabs(value) < 1e-3 && value != 0)
                           ? fmt::format("{:.3e}", value)
                           : fmt::format("{:.4g}", value);
  return unit.empty() ? number : number + " " + unit;
}

std::string format_coverage(const stats::Interval& interval) {
  const std::string percent = fmt::format("{:.3g}%", 100.0 * interval.level);
  return interval.reached() ? "(" + percent + ")" : "(only " + percent + ")";
}

std::string format_median_ci(const stats::Summary& s, const std::string& unit) {
  std::string text = format_value(s.median, unit);
  if (s.median_ci.valid()) {
    text += fmt::format(" [{}, {}] {}", format_value(s.median_ci.low, unit), format_value(s.median_ci.high, unit),
                        format_coverage(s.median_ci));
  }
  return text;
}

std::string format_median_ci(const SampleSummary& sample) { return format_median_ci(sample.summary, sample.unit); }

std::string format_tail(const stats::Summary& s, double p, const std::string& unit) {
  const bool p99 = p > 0.97;
  const stats::Interval& ci = p99 ? s.p99_ci : s.p95_ci;
  const double value = p99 ? s.p99 : s.p95;
  if (s.n == 0 || !std::isfinite(value)) return "n/a";
  if (ci.valid()) {
    return fmt::format("{} [{}, {}] {}", format_value(value, unit), format_value(ci.low, unit),
                       format_value(ci.high, unit), format_coverage(ci));
  }
  // A p99 of 5 values is the maximum: name it as such, not as a p99.
  if (ci.n_needed > 0) return fmt::format("n too small: {} < {} (max {})", s.n, ci.n_needed, format_value(s.max, unit));
  return format_value(value, unit);  // intervals were not asked for
}

std::string format_range(const SampleSummary& sample) {
  return format_value(sample.summary.min, sample.unit) + " .. " + format_value(sample.summary.max, sample.unit);
}

std::string format_ratio_ci(const stats::Comparison& c) {
  if (!std::isfinite(c.ratio)) return "n/a";
  std::string text = fmt::format("{:.3f}x", c.ratio);
  if (c.ratio_ci.valid())
    text += fmt::format(" [{:.3f}x, {:.3f}x] {}", c.ratio_ci.low, c.ratio_ci.high, format_coverage(c.ratio_ci));
  return text;
}

std::string p_header(const stats::ComparisonPolicy& policy) {
  return policy.correction == stats::Correction::Holm ? "p (MW, Holm)" : "p (MW)";
}

std::string policy_sentence(const stats::ComparisonPolicy& policy, std::size_t family) {
  const std::string correction =
      policy.correction == stats::Correction::Holm
          ? fmt::format("Holm-corrected over {} comparison{}", family, family == 1 ? "" : "s")
          : "no multiple-comparison correction";
  return fmt::format(
      "threshold {:g}%, alpha {:g} ({}); ratio = median(candidate) / median(baseline), CI: Hodges-Lehmann with its "
      "coverage; slower/faster: Mann-Whitney p < alpha and the ratio beyond the threshold; equivalent: TOST "
      "within it; detects: the smallest slowdown found with {:g}% power (docs/statistics.md)",
      policy.threshold * 100.0, policy.alpha, correction, policy.power * 100.0);
}

std::string comparison_policy_line(const SessionSummary& summary) {
  std::size_t family = 0;
  for (const auto& cmp : summary.comparisons) family += cmp.quantities.size();
  return "Comparisons: " + policy_sentence(summary.policy, family);
}

std::string format_mde(const stats::Comparison& c) {
  if (std::isinf(c.mde_ratio)) return fmt::format("none at n {}/{}", c.n_baseline, c.n_candidate);
  if (!std::isfinite(c.mde_ratio)) return "n/a";
  return fmt::format("{:+.1f}%", (c.mde_ratio - 1.0) * 100.0);
}

std::string format_verdict(const stats::Comparison& c) {
  std::string text(stats::to_string(c.verdict));
  if (c.verdict == stats::Verdict::Inconclusive && c.runs_needed > 0)
    text += fmt::format(": needs ~{} runs/side", c.runs_needed);
  return text;
}

std::string format_p(double p) {
  if (!std::isfinite(p)) return "n/a";
  if (p < 1e-6) return "<1e-6";
  if (p < 0.001) return fmt::format("{:.1e}", p);
  return fmt::format("{:.4f}", p);
}

}  // namespace coldbench::report
