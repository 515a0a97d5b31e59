#include "core/units.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace coldbench {
namespace {

constexpr double kMaxDurationSeconds = 9e9;  // ~285 years: still fits int64 nanoseconds

// Splits "12.5ms" into 12.5 and "ms". Fails on an empty or non-numeric prefix.
bool split_number(std::string_view text, double& number, std::string& suffix) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data()) return false;
  suffix.clear();
  for (const char* p = end; p != text.data() + text.size(); ++p) {
    suffix.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(*p))));
  }
  return std::isfinite(number);
}

}  // namespace

Expected<double> parse_duration_seconds(std::string_view text) {
  double number = 0;
  std::string suffix;
  if (!split_number(text, number, suffix)) {
    return make_error("'{}' is not a duration; use a number of seconds or a unit, e.g. 30, 500ms, 2m", text);
  }
  double scale = 0;
  if (suffix.empty() || suffix == "s") scale = 1;
  else if (suffix == "ms") scale = 1e-3;
  else if (suffix == "us") scale = 1e-6;
  else if (suffix == "m" || suffix == "min") scale = 60;
  else if (suffix == "h") scale = 3600;
  else return make_error("unknown duration unit '{}' in '{}'; use us, ms, s, m or h", suffix, text);
  if (number <= 0) return make_error("duration '{}' must be greater than zero", text);
  // Durations become int64 nanoseconds (timeouts); refuse what cannot be one.
  if (number * scale > kMaxDurationSeconds) return make_error("duration '{}' is too large", text);
  return number * scale;
}

Expected<int64_t> parse_size_bytes(std::string_view text) {
  double number = 0;
  std::string suffix;
  if (!split_number(text, number, suffix)) {
    return make_error("'{}' is not a size; use bytes or a unit, e.g. 64M, 2G, 512K", text);
  }
  if (suffix.size() == 3 && suffix.substr(1) == "ib") suffix.resize(1);  // MiB -> m
  if (suffix.size() == 2 && suffix[1] == 'b') suffix.resize(1);          // MB -> m (binary, as docker does)
  double scale = 0;
  if (suffix.empty() || suffix == "b") scale = 1;
  else if (suffix == "k") scale = 1024.0;
  else if (suffix == "m") scale = 1024.0 * 1024;
  else if (suffix == "g") scale = 1024.0 * 1024 * 1024;
  else if (suffix == "t") scale = 1024.0 * 1024 * 1024 * 1024;
  else return make_error("unknown size unit '{}' in '{}'; use K, M, G or T", suffix, text);
  if (number <= 0 || number * scale < 0.5) return make_error("size '{}' must be greater than zero", text);
  // llround of a value beyond int64 is unspecified (LLONG_MIN on x86).
  if (number * scale >= 0x1p63) return make_error("size '{}' is too large", text);
  return static_cast<int64_t>(std::llround(number * scale));
}

Expected<double> parse_percentage(std::string_view text) {
  double number = 0;
  std::string suffix;
  if (!split_number(text, number, suffix) || !(suffix.empty() || suffix == "%")) {
    return make_error("'{}' is not a percentage; write it like 5%", text);
  }
  if (suffix.empty() && number < 1 && number != 0) {
    return make_error("'{}' is ambiguous; write the percentage with a % sign, e.g. 5%", text);
  }
  if (number < 0) return make_error("percentage '{}' must not be negative", text);
  return number / 100.0;
}

std::string format_ms(double ms) {
  if (!std::isfinite(ms)) return "n/a";
  // Thresholds sit where rounding would reach the next range ("1000.0 ms").
  double magnitude = std::fabs(ms);
  if (magnitude >= 999.95) return fmt::format("{:.3f} s", ms / 1000.0);
  if (magnitude >= 99.995) return fmt::format("{:.1f} ms", ms);
  if (magnitude >= 9.9995) return fmt::format("{:.2f} ms", ms);
  if (magnitude >= 0.9995) return fmt::format("{:.3f} ms", ms);
  return fmt::format("{:.0f} µs", ms * 1000.0);
}

std::string format_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  // Thresholds sit where rounding would reach the next range ("1024 KiB", "100.0 KiB").
  while (std::fabs(bytes) >= 1023.5 && unit < 4) {
    bytes /= 1024.0;
    ++unit;
  }
  if (unit == 0) return fmt::format("{:.0f} B", bytes);
  return fmt::format("{:.{}f} {}", bytes, std::fabs(bytes) >= 99.95 ? 0 : (std::fabs(bytes) >= 9.995 ? 1 : 2),
                     kUnits[unit]);
}

}  // namespace coldbench
