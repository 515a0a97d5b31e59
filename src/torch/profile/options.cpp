#include "torch/profile/options.hpp"

#include <cmath>

namespace coldbench::workload {
namespace {

constexpr long long kMaxBatch = 65536;
constexpr long long kMaxWorkers = 256;
constexpr long long kMaxSteps = 1'000'000;
constexpr long long kMaxThreads = 4096;
constexpr long long kMaxImageSize = 4096;
// The backbone halves the resolution twice; below this the last stage is 2x2.
constexpr long long kMinImageSize = 8;

}  // namespace

std::string_view scenario_name(Scenario scenario) {
  switch (scenario) {
    case Scenario::kBaseline:
      return "baseline";
    case Scenario::kDataloader:
      return "dataloader";
    case Scenario::kSync:
      return "sync";
    case Scenario::kTinyOps:
      return "tiny_ops";
    case Scenario::kMemoryChurn:
      return "memory_churn";
  }
  return "?";
}

Expected<Scenario> parse_scenario(std::string_view text) {
  for (Scenario scenario : {Scenario::kBaseline, Scenario::kDataloader, Scenario::kSync,
                            Scenario::kTinyOps, Scenario::kMemoryChurn}) {
    if (text == scenario_name(scenario)) return scenario;
  }
  if (text == "tiny-ops") return Scenario::kTinyOps;
  if (text == "memory-churn") return Scenario::kMemoryChurn;
  return make_error("--scenario: unknown scenario '{}'. fix: use one of {}", text, kScenarioList);
}

DataLoad scenario_data_load(Scenario scenario) {
  if (scenario == Scenario::kDataloader) return DataLoad{4000, 0.0, true};
  return DataLoad{200, 0.0, false};
}

std::string_view device_name(DeviceKind device) {
  return device == DeviceKind::kCuda ? "cuda" : "cpu";
}

Expected<DeviceRequest> parse_device(std::string_view text) {
  if (text == "auto") return DeviceRequest::kAuto;
  if (text == "cpu") return DeviceRequest::kCpu;
  if (text == "cuda" || text == "gpu") return DeviceRequest::kCuda;
  return make_error("--device: unknown device '{}'. fix: use auto, cpu or cuda", text);
}

Expected<DeviceKind> resolve_device(DeviceRequest request, bool cuda_available) {
  switch (request) {
    case DeviceRequest::kCpu:
      return DeviceKind::kCpu;
    case DeviceRequest::kAuto:
      return cuda_available ? DeviceKind::kCuda : DeviceKind::kCpu;
    case DeviceRequest::kCuda:
      if (cuda_available) return DeviceKind::kCuda;
      return make_error(
          "--device cuda: no CUDA device is usable here (this LibTorch was built without CUDA, "
          "or no GPU/driver is visible). fix: use --device cpu (or auto, which picks CPU), or "
          "run on a machine with a GPU and a CUDA build of LibTorch");
  }
  return DeviceKind::kCpu;
}

AmpPlan plan_amp(bool amp, DeviceKind device) {
  AmpPlan plan;
  if (!amp) return plan;
  plan.enabled = true;
  if (device == DeviceKind::kCuda) {
    plan.dtype = "float16";
    plan.loss_scaling = true;
  } else {
    plan.dtype = "bfloat16";
  }
  return plan;
}

Expected<ProfileOptions> validate(const RawProfileArgs& raw) {
  ProfileOptions options;
  auto scenario = parse_scenario(raw.scenario);
  if (!scenario) return scenario.error();
  options.scenario = *scenario;

  if (raw.batch_size <= 0 || raw.batch_size > kMaxBatch) {
    return make_error("--batch-size must be a positive integer up to {}, got {}", kMaxBatch,
                      raw.batch_size);
  }
  options.batch_size = raw.batch_size;
  if (raw.num_workers < 0 || raw.num_workers > kMaxWorkers) {
    return make_error(
        "--num-workers must be 0 (load in the training thread) or a positive integer up to {}, "
        "got {}",
        kMaxWorkers, raw.num_workers);
  }
  options.num_workers = static_cast<int>(raw.num_workers);
  if (raw.warmup_steps < 0 || raw.warmup_steps > kMaxSteps) {
    return make_error("--warmup must be 0 or a positive integer (steps), got {}", raw.warmup_steps);
  }
  options.warmup_steps = static_cast<int>(raw.warmup_steps);
  if (raw.profile_steps <= 0 || raw.profile_steps > kMaxSteps) {
    return make_error("--profile-steps must be a positive integer (the active steps), got {}",
                      raw.profile_steps);
  }
  options.profile_steps = static_cast<int>(raw.profile_steps);
  if (raw.repeat <= 0 || raw.repeat > 1000) {
    return make_error("--repeat must be a positive integer (profiler windows), got {}", raw.repeat);
  }
  options.repeat = static_cast<int>(raw.repeat);
  if (raw.trace_dir.empty()) {
    return make_error("--trace-dir is empty. fix: pass a directory for the trace files");
  }
  options.trace_dir = raw.trace_dir;
  options.output_json = raw.output_json;
  if (raw.seed < 0) return make_error("--seed must not be negative, got {}", raw.seed);
  options.seed = static_cast<uint64_t>(raw.seed);

  auto device = parse_device(raw.device);
  if (!device) return device.error();
  options.device = *device;

  if (raw.image_size < kMinImageSize || raw.image_size > kMaxImageSize) {
    return make_error("--image-size must be between {} and {} pixels, got {}", kMinImageSize,
                      kMaxImageSize, raw.image_size);
  }
  options.image_size = raw.image_size;
  if (raw.threads < 0 || raw.threads > kMaxThreads) {
    return make_error("--threads must be a positive integer (or 0 for LibTorch's default), got {}",
                      raw.threads);
  }
  options.threads = static_cast<int>(raw.threads);
  if (raw.top <= 0 || raw.top > 10000) {
    return make_error("--top must be a positive integer (rows of the top-ops table), got {}",
                      raw.top);
  }
  options.top = static_cast<int>(raw.top);

  options.data = scenario_data_load(options.scenario);
  if (raw.cpu_work) {
    if (*raw.cpu_work < 0 || *raw.cpu_work > 100'000'000) {
      return make_error("--cpu-work must be 0 or a positive integer, got {}", *raw.cpu_work);
    }
    options.data.cpu_work = *raw.cpu_work;
  }
  if (raw.io_sleep_ms) {
    if (!std::isfinite(*raw.io_sleep_ms) || *raw.io_sleep_ms < 0 || *raw.io_sleep_ms > 60000) {
      return make_error("--io-sleep-ms must be a number of milliseconds in [0, 60000], got {}",
                        *raw.io_sleep_ms);
    }
    options.data.io_sleep_ms = *raw.io_sleep_ms;
    options.data.paced = false;  // the user's own per-sample read replaces the pacing
  }
  options.pin_memory = raw.pin_memory;
  options.amp = raw.amp;
  options.with_stack = raw.with_stack;
  options.quiet = raw.quiet;
  return options;
}

}  // namespace coldbench::workload
