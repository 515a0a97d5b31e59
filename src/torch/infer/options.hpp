#pragma once
// What `coldbench-torch infer` was asked to do, parsed and validated without
// LibTorch so the checks are cheap and unit-testable. The CLI fills the raw
// fields; validate() turns every bad value into an Error that names the
// option and the fix (exit code 2).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "torch/common/model.hpp"  // Mode, format_shape
#include "torch/common/shapes.hpp"

namespace coldbench::workload {

// "script", "frozen", "optimized", "all", or a comma list ("script,optimized").
// Duplicates are dropped; the result is in canonical order (script first).
Expected<std::vector<Mode>> parse_modes(std::string_view text);

// "1,4,8" -> {1, 4, 8}; every entry a positive integer, no duplicates.
Expected<std::vector<int64_t>> parse_batch_sizes(std::string_view text);

// One sample's shape, without the batch dimension: "3,224,224" or "3x224x224".
Expected<std::vector<int64_t>> parse_shape(std::string_view text);

struct InferOptions {
  std::string model = "mobilenet_v2";  // a name in the models directory or a path
  std::vector<Mode> modes = {Mode::kScript};
  std::vector<int64_t> batch_sizes = {1};
  std::optional<std::vector<int64_t>> sample_shape;  // --input-shape; else the sidecar's
  int threads = 0;                                   // 0: LibTorch's default
  int interop_threads = 0;                           // 0: LibTorch's default
  int warmup = 10;
  int iters = 100;
  std::optional<double> duration_s;  // replaces iters: iterate until this much time passed
  bool channels_last = false;
  bool inference_mode = true;
  std::optional<uint64_t> seed;  // input seed; default: the sidecar's (0 without one)
  double tolerance = 1e-3;
  std::string json_path;  // --json FILE; empty: none
  bool quiet = false;     // no summary on stdout
  // Inferences per mode profiled after everything timed (0: none); by
  // default 10 when several modes are measured, else none.
  int op_profile = 0;

  // Inputs of varying size (shape_runner.hpp): --shapes or --size-range; the
  // iterations are then requests, one size each.
  std::optional<std::vector<Size>> shapes;
  std::optional<SizeRange> size_range;
  std::optional<BucketPlan> buckets;  // --bucket-width or --buckets
  size_t bucket_cache = 16;
  bool precompile = false;
  std::optional<std::vector<Size>> precompile_list;  // empty optional: every bucket the sizes can use
  int accuracy_samples = 16;                          // sizes checked padded against unpadded
  bool varying_sizes() const { return shapes || size_range; }
};

// The raw command-line values before validation; signed so that "-3" reaches
// validate() and gets a message instead of wrapping around.
struct RawInferArgs {
  std::string model = "mobilenet_v2";
  std::string mode = "script";
  std::optional<long long> batch_size;
  std::string batch_sizes;  // empty: not given
  std::string input_shape;
  long long threads = 0;
  long long interop_threads = 0;
  long long warmup = 10;
  long long iters = 100;
  bool iters_given = false;
  std::optional<double> duration_s;
  bool channels_last = false;
  bool inference_mode = true;
  std::optional<long long> seed;
  double tolerance = 1e-3;
  std::string json_path;
  bool quiet = false;
  std::optional<long long> op_profile;
  std::string shapes;
  std::string size_range;
  long long bucket_width = 0;
  std::string buckets;
  std::optional<long long> bucket_cache;
  bool precompile_given = false;
  std::string precompile;  // empty with precompile_given: every bucket
  long long accuracy_samples = 16;
};

Expected<InferOptions> validate(const RawInferArgs& raw);

// Mode/batch combinations in the order they run: every batch size of the
// first mode, then the next mode.
struct Combination {
  Mode mode;
  int64_t batch_size;
};
std::vector<Combination> combinations(const InferOptions& options);

}  // namespace coldbench::workload
