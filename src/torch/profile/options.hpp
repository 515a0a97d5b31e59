#pragma once
// What `coldbench-torch profile` was asked to do, parsed and validated without
// LibTorch (cheap, unit-tested). The CLI fills RawProfileArgs; validate()
// turns every bad value into an Error that names the option and the fix
// (exit 2). docs/profile.md describes the scenarios.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace coldbench::workload {

// Each scenario plants one well-known training bottleneck; baseline plants
// none and is what the others are compared with.
enum class Scenario { kBaseline, kDataloader, kSync, kTinyOps, kMemoryChurn };

std::string_view scenario_name(Scenario scenario);
Expected<Scenario> parse_scenario(std::string_view text);
inline constexpr const char* kScenarioList = "baseline, dataloader, sync, tiny_ops, memory_churn";

// The data side of a scenario: per-sample CPU augmentation work in the
// dataset's get() and a simulated storage read: a fixed sleep per sample, or
// (paced) a storage that delivers one batch per interval sized from the
// measured training step (profile_data_sizing.hpp).
struct DataLoad {
  int64_t cpu_work = 200;  // iterations of the augmentation loop (see profile/training.cpp)
  double io_sleep_ms = 0;
  bool paced = false;
};

// dataloader: cpu_work 4000 and the paced storage; the others: 200, no I/O.
DataLoad scenario_data_load(Scenario scenario);

enum class DeviceRequest { kAuto, kCpu, kCuda };
enum class DeviceKind { kCpu, kCuda };

std::string_view device_name(DeviceKind device);
Expected<DeviceRequest> parse_device(std::string_view text);

// auto: CUDA when this LibTorch can use it, else CPU; cuda without CUDA is an
// input error (exit 2) that says why and what to do instead.
Expected<DeviceKind> resolve_device(DeviceRequest request, bool cuda_available);

// Mixed precision as LibTorch 1.13 offers it: CPU autocast to bfloat16 (no
// loss scaling: bf16 has fp32's exponent range); CUDA autocast to float16
// with dynamic loss scaling, done by hand (the C++ API has no GradScaler).
struct AmpPlan {
  bool enabled = false;
  std::string dtype;  // "bfloat16" | "float16" | "" when off
  bool loss_scaling = false;
};
AmpPlan plan_amp(bool amp, DeviceKind device);

struct ProfileOptions {
  Scenario scenario = Scenario::kDataloader;
  int64_t batch_size = 64;
  int num_workers = 2;
  bool pin_memory = false;
  bool amp = false;
  int warmup_steps = 10;  // unprofiled steps before the profiler schedule
  int profile_steps = 8;  // active steps per profiler window
  int repeat = 1;         // profiler windows (one trace each)
  std::string trace_dir = "results/traces/profiler_demo";
  std::string output_json = "results/metrics_demo.json";  // "" : none
  bool with_stack = false;
  uint64_t seed = 0;
  DeviceRequest device = DeviceRequest::kAuto;
  int64_t image_size = 32;  // square synthetic images, 3 channels (CIFAR-sized)
  int threads = 0;          // LibTorch intra-op threads; 0: LibTorch's default
  int top = 15;             // rows of the top-ops table
  DataLoad data;            // the scenario's, unless --cpu-work / --io-sleep-ms (no pacing then)
  bool quiet = false;
};

// Signed and optional so that "-3" reaches validate() and gets a message,
// and so that the scenario's data load applies unless overridden.
struct RawProfileArgs {
  std::string scenario = "dataloader";
  long long batch_size = 64;
  long long num_workers = 2;
  bool pin_memory = false;
  bool amp = false;
  long long warmup_steps = 10;
  long long profile_steps = 8;
  long long repeat = 1;
  std::string trace_dir = "results/traces/profiler_demo";
  std::string output_json = "results/metrics_demo.json";
  bool with_stack = false;
  long long seed = 0;
  std::string device = "auto";
  long long image_size = 32;
  long long threads = 0;
  long long top = 15;
  std::optional<long long> cpu_work;
  std::optional<double> io_sleep_ms;
  bool quiet = false;
};

Expected<ProfileOptions> validate(const RawProfileArgs& raw);

}  // namespace coldbench::workload
