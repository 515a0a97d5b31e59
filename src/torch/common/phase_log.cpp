#include "torch/common/phase_log.hpp"

#include "coldbench/marker.hpp"

namespace coldbench::workload {

void mark_phase(PhaseLog& log, const char* name) {
  marker::phase(name);
  log.push_back({name, marker::monotonic_ns()});
}

double phase_ms(int64_t from_ns, int64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1e6;
}

nlohmann::json phases_json(const PhaseLog& log, std::optional<int64_t> process_start_ns) {
  nlohmann::json phases = nlohmann::json::array();
  int64_t previous = process_start_ns.value_or(0);
  for (const PhaseTime& phase : log) {
    nlohmann::json entry = {{"name", phase.name}, {"monotonic_ns", phase.monotonic_ns}};
    if (previous != 0) entry["duration_ms"] = phase_ms(previous, phase.monotonic_ns);
    if (process_start_ns) {
      entry["since_process_start_ms"] = phase_ms(*process_start_ns, phase.monotonic_ns);
    }
    phases.push_back(entry);
    previous = phase.monotonic_ns;
  }
  return phases;
}

}  // namespace coldbench::workload
