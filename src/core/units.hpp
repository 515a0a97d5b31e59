#pragma once
// Parsing and printing of the units users type and read: durations, sizes,
// percentages.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace coldbench {

// "1.5" (seconds), "250ms", "10s", "2m", "1h", "500us" -> seconds. Must be > 0.
Expected<double> parse_duration_seconds(std::string_view text);

// "64M", "2G", "512k", "1024", "64MiB", "1.5G" -> bytes (binary multiples). Must be > 0.
Expected<int64_t> parse_size_bytes(std::string_view text);

// "5%", "5", "0.05" is NOT accepted as 5% (ambiguous): a percentage must end in % or be >= 1.
// Returns a fraction (5% -> 0.05).
Expected<double> parse_percentage(std::string_view text);

// Human-readable milliseconds with 3-4 significant digits: "812 µs", "45.6 ms", "1.234 s".
std::string format_ms(double ms);

// Human-readable bytes: "812 B", "45.6 KiB", "1.23 GiB".
std::string format_bytes(double bytes);

}  // namespace coldbench
