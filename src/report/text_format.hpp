#pragma once
// Formatting of summary numbers shared by the console and Markdown reporters.

#include <string>

#include "report/summary.hpp"

namespace coldbench::report {

// A value in its unit: "45.6 ms", "312 MiB" (unit "KiB" or "bytes"), "12.5 %", "1234 samples/s".
std::string format_value(double value, const std::string& unit);
std::string format_median_ci(const SampleSummary& sample);  // "45.6 ms [44.9 ms, 46.2 ms]"
std::string format_range(const SampleSummary& sample);      // "44.1 ms .. 48.0 ms"
std::string format_ratio_ci(const stats::Comparison& comparison);  // "1.234x [1.200x, 1.270x]"
std::string format_p(double p);  // "0.0012", "<1e-6"

}  // namespace coldbench::report
