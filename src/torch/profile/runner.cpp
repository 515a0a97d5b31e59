#include "torch/profile/runner.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <memory>
#include <optional>
#include <vector>

#include "coldbench/marker.hpp"
#include "torch/profile/collector.hpp"
#include "torch/profile/data_sizing.hpp"
#include "torch/profile/trace.hpp"
#include "torch/profile/training.hpp"

namespace coldbench::workload {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

bool records(StepAction action) {
  return action == StepAction::kRecord || action == StepAction::kRecordAndSave;
}

std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

// One step as profiler_demo.py (the Python torch.profiler script this workload
// ports, docs/profile.md) times it: the wait for the batch since the
// previous step ended, then the step between two device synchronisations.
Expected<StepTiming> timed_step(TrainingSession& session, int index, StepAction action,
                                Clock::time_point& previous_end) {
  StepTiming timing;
  timing.step = index;
  timing.action = action;
  {
    TraceRange fetch("enumerate(DataLoader)#DataLoader.next");
    if (auto ok = session.next_batch(); !ok) return ok.error();
  }
  timing.data_wait_s = seconds_between(previous_end, Clock::now());
  session.synchronize();
  auto started = Clock::now();
  if (auto ok = session.train_step(); !ok) return ok.error();
  session.synchronize();
  previous_end = Clock::now();
  timing.step_s = seconds_between(started, previous_end);
  return timing;
}

// The paced storage's first interval: one untimed step (a first step's
// one-off costs), then the timed calibration steps, before the loader starts.
Expected<void> calibrate_storage(TrainingSession& session, DataCostSizer& sizer,
                                 PacedStorage& storage) {
  std::vector<double> steps;
  for (int i = 0; i <= kDataSizingCalibrationSteps; ++i) {
    auto step = session.synthetic_step();
    if (!step) return step.error();
    if (i > 0) steps.push_back(*step);
  }
  sizer.calibrate(steps);
  storage.set_interval_ms(sizer.batch_interval_ms());
  return {};
}

// Every step feeds the sizing: a step slower than any before lengthens the
// storage's interval before the loop asks for its next batch.
void follow_step(const StepTiming& timing, std::optional<DataCostSizer>& sizer,
                 PacedStorage* storage) {
  if (sizer && storage && sizer->observe(timing.step_s)) {
    storage->set_interval_ms(sizer->batch_interval_ms());
  }
}

TraceContext trace_context(const ProfileReport& report, const ProfileWindow& window) {
  const ProfileOptions& options = report.options;
  TraceContext context;
  context.pid = getpid();
  context.process_name =
      fmt::format("coldbench-torch profile ({})", scenario_name(options.scenario));
  context.other_data = {
      {"generator", "coldbench-torch profile"},
      {"scenario", std::string(scenario_name(options.scenario))},
      {"device", std::string(device_name(report.device))},
      {"batch_size", std::to_string(options.batch_size)},
      {"num_workers", std::to_string(options.num_workers)},
      {"amp", report.amp.enabled ? report.amp.dtype : "off"},
      {"window", std::to_string(window.index)},
      {"steps", fmt::format("{}-{}", window.first_step, window.last_step)},
      {"torch_version", report.snapshot.runtime.torch_version},
  };
  return context;
}

// What the training session is built from: the options, and the device,
// AMP plan and dataset size the report settled on.
TrainingSetup training_setup(const ProfileReport& report) {
  const ProfileOptions& options = report.options;
  TrainingSetup setup;
  setup.scenario = options.scenario;
  setup.device = report.device;
  setup.amp = report.amp;
  setup.batch_size = options.batch_size;
  setup.num_workers = options.num_workers;
  setup.pin_memory = options.pin_memory;
  setup.image_size = options.image_size;
  setup.dataset_size = report.dataset_size;
  setup.seed = options.seed;
  setup.data = options.data;
  if (options.data.paced) setup.storage = std::make_shared<PacedStorage>();
  return setup;
}

// One finished profiler window: its trace file, and its numbers in the report.
Expected<void> save_window(ProfileReport& report, ProfileWindow window) {
  auto path = write_trace_file(window, trace_context(report, window), report.options.trace_dir,
                               report.worker);
  if (!path) return path.error();
  WindowSummary summary = summarize_window(window, window.last_step - window.first_step + 1);
  TraceWindowResult result;
  result.index = window.index;
  result.first_step = window.first_step;
  result.last_step = window.last_step;
  result.trace_path = path->string();
  result.counts = summary.counts;
  result.op_events = static_cast<int64_t>(window.ops.size());
  result.memory_events = static_cast<int64_t>(window.memory.size());
  report.windows.push_back(result);
  report.device_time = report.device_time || window.device_time;
  merge_summary(report.summary, summary);
  return {};
}

}  // namespace

Expected<ProfileReport> run_profile(const ProfileOptions& options, int64_t runtime_ready_ns) {
  ProfileReport report;
  report.options = options;
  report.phases.push_back({marker::kPhaseRuntimeReady, runtime_ready_ns});
  report.schedule = ProfileSchedule{1, 1, options.profile_steps, options.repeat};

  if (auto configured = configure_threads(options.threads, 0); !configured) {
    return configured.error();
  }
  auto device = resolve_device(options.device, cuda_usable());
  if (!device) return device.error();
  report.device = *device;
  report.amp = plan_amp(options.amp, report.device);
  report.snapshot.runtime = collect_runtime_info();
  report.worker = worker_name(host_name(), getpid());
  // One epoch covers every step: the warmup and the whole schedule.
  report.dataset_size = options.batch_size * (options.warmup_steps + report.schedule.total_steps());

  TrainingSetup setup = training_setup(report);
  if (setup.storage) report.data_sizing.emplace(kDataWaitTarget);
  auto session = TrainingSession::create(setup);
  if (!session) return session.error();
  report.shape = session->shape();
  report.notes = session->notes();
  if (setup.storage) {
    if (auto calibrated = calibrate_storage(*session, *report.data_sizing, *setup.storage);
        !calibrated) {
      return calibrated.error();
    }
  }
  mark_phase(report.phases, marker::kPhaseSetupDone);

  auto previous_end = Clock::now();
  for (int i = 0; i < options.warmup_steps; ++i) {
    auto timing = timed_step(*session, i, StepAction::kNone, previous_end);
    if (!timing) return timing.error();
    follow_step(*timing, report.data_sizing, setup.storage.get());
    report.warmup_steps.push_back(*timing);
  }
  mark_phase(report.phases, marker::kPhaseWarmupDone);

  OpCollector collector;
  CollectorSettings settings;
  settings.with_stack = options.with_stack;
  settings.device_time = report.device == DeviceKind::kCuda;
  StepAction previous = StepAction::kNone;
  int window_first_step = 0;
  for (int step = 0; step < report.schedule.total_steps(); ++step) {
    const StepAction action = report.schedule.action(step);
    if (action != StepAction::kNone && !collector.recording()) {
      if (auto started = collector.start(settings); !started) return started.error();
    }
    if (records(action) && !records(previous)) {
      collector.discard();  // the profiler's warmup step stays out of the window
      window_first_step = step;
    }
    Expected<StepTiming> timing = make_error("step not run");
    {
      std::optional<TraceRange> step_range;
      if (collector.recording()) step_range.emplace(fmt::format("ProfilerStep#{}", step));
      timing = timed_step(*session, step, action, previous_end);
    }
    if (!timing) return timing.error();
    follow_step(*timing, report.data_sizing, setup.storage.get());
    report.steps.push_back(*timing);
    previous = action;

    if (action == StepAction::kRecordAndSave) {
      ProfileWindow window = collector.stop();
      window.index = static_cast<int>(report.windows.size());
      window.first_step = window_first_step;
      window.last_step = step;
      if (auto saved = save_window(report, std::move(window)); !saved) return saved.error();
    }
  }
  mark_phase(report.phases, marker::kPhaseProfileDone);

  sort_ops(report.summary.ops, report.device_time ? OpSort::kSelfDevice : OpSort::kSelfCpu);
  report.avg_step_time_s = mean_step_time(report.steps);
  report.avg_dataloader_wait_s = mean_data_wait(report.steps);
  report.data_wait_ratio = wait_to_step_ratio(report.avg_dataloader_wait_s, report.avg_step_time_s);
  report.final_loss = session->last_loss();
  report.snapshot = take_runtime_snapshot();
  report.peak_rss_bytes = peak_rss_bytes();
  emit_markers(report);
  return report;
}

}  // namespace coldbench::workload
