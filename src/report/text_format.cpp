#include "report/text_format.hpp"

#include <algorithm>
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
  // Counts and other large values in digits ("473712 minor", not "4.737e+05"); an exponent only for
  // tiny values and for the astronomically large.
  const double magnitude = std::fabs(value);
  std::string number = magnitude >= 9999.5 && magnitude < 1e15   ? fmt::format("{:.0f}", value)
                       : magnitude >= 1e15 || (magnitude < 1e-3 && value != 0) ? fmt::format("{:.3e}", value)
                                                                             : fmt::format("{:.4g}", value);
  return unit.empty() ? number : number + " " + unit;
}

std::string format_coverage(const stats::Interval& interval) {
  const std::string percent = fmt::format("{:.3g}%", 100.0 * interval.level);
  return interval.reached() ? "(" + percent + ")" : "(only " + percent + ")";
}

std::string format_median_ci(const stats::Summary& s, const NumberFormat& number) {
  std::string text = number(s.median);
  if (s.median_ci.valid()) {
    text += fmt::format(" [{}, {}] {}", number(s.median_ci.low), number(s.median_ci.high), format_coverage(s.median_ci));
  }
  return text;
}

std::string format_median_ci(const stats::Summary& s, const std::string& unit) {
  return format_median_ci(s, [&](double v) { return format_value(v, unit); });
}

std::string format_median_ci(const analysis::SampleSummary& sample) { return format_median_ci(sample.summary, sample.unit); }

std::string format_tail(const stats::Summary& s, double p, const NumberFormat& number) {
  const bool p99 = p > 0.97;
  const stats::Interval& ci = p99 ? s.p99_ci : s.p95_ci;
  const double value = p99 ? s.p99 : s.p95;
  if (s.n == 0 || !std::isfinite(value)) return "n/a";
  if (ci.valid()) {
    return fmt::format("{} [{}, {}] {}", number(value), number(ci.low), number(ci.high), format_coverage(ci));
  }
  // A p99 of 5 values is the maximum: name it as such, not as a p99.
  if (ci.n_needed > 0) return fmt::format("n too small: {} < {} (max {})", s.n, ci.n_needed, number(s.max));
  return number(value);  // intervals were not asked for
}

std::string format_tail(const stats::Summary& s, double p, const std::string& unit) {
  return format_tail(s, p, [&](double v) { return format_value(v, unit); });
}

TimeColumn time_column(const std::vector<double>& ms_values) {
  double largest = 0;
  for (double v : ms_values) {
    if (std::isfinite(v)) largest = std::max(largest, std::fabs(v));
  }
  TimeColumn column;
  if (largest >= 999.95) {
    column.unit = "s";
    column.per_ms = 1e-3;
  } else if (largest < 0.9995) {
    column.unit = "µs";
    column.per_ms = 1e3;
  }
  // Four significant digits for the largest value; the others align on its decimals.
  const double shown = largest * column.per_ms;
  column.decimals = shown >= 99.995 ? (column.unit == "µs" ? 0 : 1) : shown >= 9.9995 ? 2 : 3;
  if (column.unit == "µs") column.decimals = std::min(column.decimals, 1);
  return column;
}

TimeColumn time_column(const std::vector<double>& ms_values, const std::string& unit) {
  if (unit.empty()) return time_column(ms_values);
  double largest = 0;
  for (double v : ms_values) {
    if (std::isfinite(v)) largest = std::max(largest, std::fabs(v));
  }
  TimeColumn column;
  column.unit = unit;
  column.per_ms = unit == "s" ? 1e-3 : unit == "µs" ? 1e3 : 1.0;
  const double shown = largest * column.per_ms;
  column.decimals = shown >= 99.995 ? 1 : shown >= 9.9995 ? 2 : 3;
  if (unit == "µs") column.decimals = std::min(column.decimals, 1);
  return column;
}

std::string in_column(double ms, const TimeColumn& column) {
  if (!std::isfinite(ms)) return "n/a";
  return fmt::format("{:.{}f}", ms * column.per_ms, column.decimals);
}

std::string format_range(const analysis::SampleSummary& sample) {
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
      "threshold {:g}%, alpha {:.3g} ({}); ratio = median(candidate) / median(baseline), CI: Hodges-Lehmann with its "
      "coverage; slower/faster: Mann-Whitney p < alpha and the ratio beyond the threshold; equivalent: TOST "
      "within it; detects: the smallest slowdown found with {:g}% power (docs/statistics.md)",
      policy.threshold * 100.0, policy.alpha, correction, policy.power * 100.0);
}

std::string comparison_policy_line(const analysis::SessionSummary& summary) {
  std::size_t family = 0;
  for (const auto& cmp : summary.comparisons) family += cmp.quantities.size();
  return "Comparisons: " + policy_sentence(summary.policy, family);
}

std::vector<std::string> adaptive_lines(const ResultsDocument& document, bool short_only) {
  const nlohmann::json& a = document.adaptive;
  if (!a.is_object()) return {};
  auto number = [](const nlohmann::json& j, const char* key, double fallback) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : fallback;
  };
  auto text = [](const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const double target = number(a, "target_ci", stats::kNaN) * 100.0;
  const double level = number(a, "level", 0.95) * 100.0;
  std::string limits = fmt::format("min {:g}, max {:g} runs", number(a, "min_runs", 0), number(a, "max_runs", 0));
  if (const double max_time = number(a, "max_time_s", stats::kNaN); std::isfinite(max_time)) {
    const bool minutes = max_time >= 60 && std::fmod(max_time, 60) == 0;
    limits += minutes ? fmt::format(", at most {:g} min", max_time / 60) : fmt::format(", at most {:g} s", max_time);
  }
  std::vector<std::string> lines;
  const auto sequential = a.find("sequential");
  if (text(a, "rule") == "comparison" && sequential != a.end() && sequential->is_object()) {
    const double looks = number(*sequential, "looks", 0), max_looks = number(*sequential, "max_looks", 0);
    const double decision = number(*sequential, "decision_alpha", stats::kNaN);
    std::string at = std::isfinite(decision)
                         ? fmt::format("verdicts decided at look {:g} of {:g}, alpha {:.2g} of the {:g} spread over "
                                       "the looks",
                                       looks, max_looks, decision, number(*sequential, "alpha", stats::kNaN))
                         : std::string("no look taken");
    lines.push_back(fmt::format("Runs: auto, in rounds until every comparison with the first command is conclusive "
                                "(alpha spending: one look per round; {}; {})",
                                at, limits));
  } else {
    lines.push_back(fmt::format("Runs: auto, until each median's {:g}% interval is within +-{:g}% ({})", level,
                                target, limits));
  }
  const auto commands = a.find("commands");
  if (commands == a.end() || !commands->is_array()) return lines;
  for (const auto& c : *commands) {
    const std::string reason = text(c, "stopped");
    if (short_only && (reason == "target-ci" || reason == "conclusive")) continue;
    const double half = number(c, "median_ci_half_width", stats::kNaN) * 100.0;
    std::string why;
    if (reason == "target-ci") {
      why = fmt::format("median known to +-{:.1f}%", half);
    } else if (reason == "conclusive") {
      why = "every comparison conclusive";
    } else if (reason == "max-runs" || reason == "max-time") {
      why = fmt::format("{} reached, {}", reason == "max-runs" ? "--max-runs" : "--max-time",
                        std::isfinite(half) ? fmt::format("median known to +-{:.1f}%", half)
                                            : std::string("median interval not yet at the level"));
    } else if (reason == "failing") {
      why = "its first runs all failed";
    } else {
      why = reason;
    }
    const double runs = number(c, "runs", 0);
    lines.push_back(fmt::format("  '{}': {:g} run{}, stopped: {}", text(c, "name"), runs, runs == 1 ? "" : "s", why));
  }
  return lines;
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
