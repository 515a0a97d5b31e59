#pragma once
// The phases one coldbench-torch workload marks as it goes (runtime_ready,
// model_loaded, ... for infer; setup_done, warmup_done, profile_done for
// profile): each a marker for the harness and an entry for the workload's own
// report, stamped with the marker clock.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace coldbench::workload {

struct PhaseTime {
  std::string name;
  int64_t monotonic_ns = 0;  // CLOCK_MONOTONIC, the marker protocol's "t"
};

using PhaseLog = std::vector<PhaseTime>;

// Sends the phase marker and records it in `log` with the same clock.
void mark_phase(PhaseLog& log, const char* name);

// Milliseconds between two CLOCK_MONOTONIC stamps.
double phase_ms(int64_t from_ns, int64_t to_ns);

// [{"name", "monotonic_ns", "duration_ms" (from the previous phase, or from
// the process start), "since_process_start_ms"}]; the two durations only
// where there is something to measure from.
nlohmann::json phases_json(const PhaseLog& log, std::optional<int64_t> process_start_ns);

}  // namespace coldbench::workload
