#pragma once
// Formatting of summary numbers shared by the console and Markdown reporters.

#include <functional>
#include <string>
#include <vector>

#include "analysis/summary.hpp"

namespace coldbench::report {

// A value in its unit: "45.6 ms", "312 MiB" (unit "KiB" or "bytes"), "12.5 %", "1234 samples/s".
std::string format_value(double value, const std::string& unit);
// Every interval carries its actual coverage; short of the requested level it says "only".
std::string format_coverage(const stats::Interval& interval);  // "(97.9%)", "(only 75%)"
std::string format_median_ci(const analysis::SampleSummary& sample);  // "45.6 ms [44.9 ms, 46.2 ms] (97.9%)"
std::string format_median_ci(const stats::Summary& summary, const std::string& unit);
// p95/p99 with its interval, or why there is none: "n too small: 5 < 299 (max 48.0 ms)".
std::string format_tail(const stats::Summary& summary, double p, const std::string& unit);
std::string format_range(const analysis::SampleSummary& sample);      // "44.1 ms .. 48.0 ms"

// One unit for a column of times (given in ms), chosen from the largest of them, so a
// column never mixes "812 µs" and "1.2 s": cells are bare numbers, the unit is in the header.
struct TimeColumn {
  std::string unit = "ms";
  double per_ms = 1.0;  // numbers shown = ms x per_ms
  int decimals = 2;
};
TimeColumn time_column(const std::vector<double>& ms_values);
// The same in a unit fixed by the user (-u): "s", "ms" or "µs"; empty chooses as above.
TimeColumn time_column(const std::vector<double>& ms_values, const std::string& unit);
std::string in_column(double ms, const TimeColumn& column);  // "22.03"; "n/a" when not finite
// The same as format_median_ci / format_tail, with every number drawn by `number`.
using NumberFormat = std::function<std::string(double)>;
std::string format_median_ci(const stats::Summary& summary, const NumberFormat& number);
std::string format_tail(const stats::Summary& summary, double p, const NumberFormat& number);
std::string format_ratio_ci(const stats::Comparison& comparison);  // "1.234x [1.200x, 1.270x] (95.2%)"
std::string format_p(double p);  // "0.0012", "<1e-6"
// The smallest slowdown the comparison could detect: "+12.3%", "none at n 3/3", "n/a".
std::string format_mde(const stats::Comparison& comparison);
// "p (MW, Holm)" or "p (MW)": the column of corrected difference p-values.
std::string p_header(const stats::ComparisonPolicy& policy);
// One sentence on how the verdicts were reached (threshold, alpha, correction over N, power).
std::string policy_sentence(const stats::ComparisonPolicy& policy, std::size_t family);
// policy_sentence for a session's comparisons.
std::string comparison_policy_line(const analysis::SessionSummary& summary);
// `--runs auto` (document.adaptive): the stopping rule, then one line per
// command with the runs it used and why it stopped (`short_only`: only the
// commands that stopped short of their target). Empty for a fixed --runs.
std::vector<std::string> adaptive_lines(const ResultsDocument& document, bool short_only = false);
// "slower", "equivalent", "inconclusive: needs ~12 runs/side" (or just "inconclusive" when unknown).
std::string format_verdict(const stats::Comparison& comparison);

}  // namespace coldbench::report
