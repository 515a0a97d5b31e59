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

std::string format_median_ci(const SampleSummary& sample) {
  const auto& s = sample.summary;
  std::string text = format_value(s.median, sample.unit);
  if (s.median_ci.valid()) {
    text += fmt::format(" [{}, {}]", format_value(s.median_ci.low, sample.unit),
                        format_value(s.median_ci.high, sample.unit));
  }
  return text;
}

std::string format_range(const SampleSummary& sample) {
  return format_value(sample.summary.min, sample.unit) + " .. " + format_value(sample.summary.max, sample.unit);
}

std::string format_ratio_ci(const stats::Comparison& c) {
  if (!std::isfinite(c.ratio)) return "n/a";
  std::string text = fmt::format("{:.3f}x", c.ratio);
  if (c.ratio_ci.valid()) text += fmt::format(" [{:.3f}x, {:.3f}x]", c.ratio_ci.low, c.ratio_ci.high);
  return text;
}

std::string format_p(double p) {
  if (!std::isfinite(p)) return "n/a";
  if (p < 1e-6) return "<1e-6";
  if (p < 0.001) return fmt::format("{:.1e}", p);
  return fmt::format("{:.4f}", p);
}

}  // namespace coldbench::report
