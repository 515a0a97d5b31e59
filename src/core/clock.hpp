#pragma once
// Clocks: CLOCK_MONOTONIC for every duration (the marker protocol uses it too),
// the wall clock only for human-readable timestamps.

#include <cstdint>
#include <string>

namespace coldbench {

// CLOCK_MONOTONIC in nanoseconds; the same clock workloads put in markers' "t".
int64_t monotonic_ns();

// Current UTC time as ISO 8601 with milliseconds, e.g. "2026-11-24T10:00:00.123Z".
std::string utc_timestamp();

}  // namespace coldbench
