#pragma once
// The profile workload: build the scenario, run the unprofiled warmup steps,
// then the profiler schedule (wait 1, warmup 1, active N per window), timing
// every step and the wait for its batch, writing one trace per active window
// and summing the windows into the report. Free of LibTorch headers (it
// drives profile/training.hpp and profile/collector.hpp).
//
// Markers: phases setup_done, warmup_done, profile_done (runtime_ready comes
// from main); metrics and info from emit_markers (profile/report.hpp).

#include <cstdint>

#include "core/expected.hpp"
#include "torch/profile/options.hpp"
#include "torch/profile/report.hpp"

namespace coldbench::workload {

// `runtime_ready_ns` is when main emitted runtime_ready.
Expected<ProfileReport> run_profile(const ProfileOptions& options, int64_t runtime_ready_ns);

}  // namespace coldbench::workload
