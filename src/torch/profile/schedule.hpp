#pragma once
// The profiler schedule of torch.profiler.schedule(wait, warmup, active,
// repeat): in each cycle the first `wait` steps run without the profiler, the
// next `warmup` steps with it but their events are thrown away (its start-up
// cost stays out of the trace), then `active` steps are recorded; the last
// active step closes a window, which becomes one trace.

namespace coldbench::workload {

enum class StepAction { kNone, kWarmup, kRecord, kRecordAndSave };

const char* step_action_name(StepAction action);  // "none", "warmup", "record", "record_and_save"

struct ProfileSchedule {
  int wait = 1;
  int warmup = 1;
  int active = 8;
  int repeat = 1;

  int cycle_length() const { return wait + warmup + active; }
  int total_steps() const { return cycle_length() * repeat; }
  // What the profiler does during schedule step `step` (0-based); kNone past the end.
  StepAction action(int step) const;
};

}  // namespace coldbench::workload
