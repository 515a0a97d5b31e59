#pragma once
// How coldbench-torch's tables show memory: one unit down a column, so infer's
// and profile's numbers read the same way (core/units.hpp's format_bytes
// picks the unit per value, which a column of RSS figures should not).

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace coldbench::workload {

// Bytes in MiB with one decimal: "412.3 MiB".
inline std::string format_mib(int64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

}  // namespace coldbench::workload
