#include "torch/profile/schedule.hpp"

namespace coldbench::workload {

const char* step_action_name(StepAction action) {
  switch (action) {
    case StepAction::kNone:
      return "none";
    case StepAction::kWarmup:
      return "warmup";
    case StepAction::kRecord:
      return "record";
    case StepAction::kRecordAndSave:
      return "record_and_save";
  }
  return "?";
}

StepAction ProfileSchedule::action(int step) const {
  if (step < 0 || step >= total_steps() || active <= 0) return StepAction::kNone;
  int in_cycle = step % cycle_length();
  if (in_cycle < wait) return StepAction::kNone;
  if (in_cycle < wait + warmup) return StepAction::kWarmup;
  return in_cycle == cycle_length() - 1 ? StepAction::kRecordAndSave : StepAction::kRecord;
}

}  // namespace coldbench::workload
