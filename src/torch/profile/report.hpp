#pragma once
// One `coldbench-torch profile` run as data, and the ways it leaves the
// process: the readable summary with the top-ops table (stdout), the metrics
// JSON (--json) and the markers the harness reads. All three show the
// same numbers. docs/profile.md lists every field.

#include <cstdint>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "torch/profile/data_sizing.hpp"
#include "torch/profile/options.hpp"
#include "torch/profile/schedule.hpp"
#include "torch/profile/summary.hpp"
#include "torch/profile/training.hpp"
#include "torch/common/phase_log.hpp"
#include "torch/common/runtime_snapshot.hpp"

namespace coldbench::workload {

inline constexpr const char* kProfileJsonSchema = "coldbench-torch/profile/1";

struct StepTiming {
  int step = 0;  // schedule step (warmup steps: their own index)
  StepAction action = StepAction::kNone;
  double step_s = 0;       // the training step, device-synchronised on both ends
  double data_wait_s = 0;  // end of the previous step -> this step's batch in hand
};

struct TraceWindowResult {
  int index = 0;
  int first_step = 0;
  int last_step = 0;
  std::string trace_path;
  ProfileCounts counts;
  int64_t op_events = 0;      // every recorded event, all threads, user ranges included
  int64_t memory_events = 0;  // allocator reports
};

struct ProfileReport {
  ProfileOptions options;
  ProfileSchedule schedule;
  DeviceKind device = DeviceKind::kCpu;
  AmpPlan amp;
  int64_t dataset_size = 0;
  ScenarioShape shape;
  std::string worker;
  PhaseLog phases;
  std::vector<StepTiming> warmup_steps;  // unprofiled, before the schedule
  std::vector<StepTiming> steps;         // the schedule's steps
  double avg_step_time_s = 0;        // over the schedule's steps, as profiler_demo.py
  double avg_dataloader_wait_s = 0;  // likewise
  double data_wait_ratio = 0;        // avg_dataloader_wait_s / avg_step_time_s
  std::optional<DataCostSizer> data_sizing;  // data.paced: how the storage was sized
  std::vector<TraceWindowResult> windows;
  WindowSummary summary;  // every window merged; ops sorted for the table
  bool device_time = false;
  double final_loss = 0;
  RuntimeSnapshot snapshot;
  std::vector<std::string> notes;
  int64_t peak_rss_bytes = 0;
};

// Mean of one field over steps; 0 for none.
double mean_step_time(const std::vector<StepTiming>& steps);
double mean_data_wait(const std::vector<StepTiming>& steps);
// wait / step; 0 when no step was timed.
double wait_to_step_ratio(double wait_s, double step_s);

void print_summary(const ProfileReport& report, std::FILE* out);

nlohmann::json to_json(const ProfileReport& report);

// Creates the parent directory; FILE.tmp then renamed.
Expected<void> write_json(const ProfileReport& report, const std::string& path);

// Metrics and info markers (phases are marked while the run goes).
void emit_markers(const ProfileReport& report);

}  // namespace coldbench::workload
