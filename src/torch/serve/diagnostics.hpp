#pragma once
// The diagnostics snapshot an alert writes (the tutorial's
// collect_diagnostics): what the process and machine looked like at the
// moment, as one JSON file per alert in --diagnostics-dir.

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/expected.hpp"

namespace coldbench::workload::serve {

struct SystemSnapshot {
  std::optional<double> rss_bytes;            // /proc/self/statm
  std::optional<int> threads;                 // /proc/self/status Threads:
  std::optional<std::array<double, 3>> load;  // /proc/loadavg: 1, 5, 15 minutes
};
SystemSnapshot read_system_snapshot();
// Resident set size alone (cheap: one small /proc read), nullopt off Linux.
std::optional<double> read_rss_bytes();

// "Threads:\t12" -> 12 (from /proc/self/status text).
std::optional<int> parse_thread_count(const std::string& status_text);

nlohmann::ordered_json to_json(const SystemSnapshot& snapshot);

// Writes `document` to DIR/STEM.json through a temporary file and a rename,
// so a reader never sees half a file; returns the path.
Expected<std::string> write_diagnostics(const std::string& dir, const std::string& stem,
                                        const nlohmann::ordered_json& document);

}  // namespace coldbench::workload::serve
