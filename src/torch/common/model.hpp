#pragma once
// The infer loop's only door to LibTorch: load a TorchScript module, prepare
// it for a mode (eval / torch::jit::freeze / torch::jit::optimize_for_inference),
// make seeded inputs and run forward. Types are opaque (pimpl) so that only
// model.cpp pays for LibTorch's headers; every LibTorch exception
// becomes an Error with a short message (never a C++ stack dump).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::workload {

// How a loaded module is prepared. Ordered: script is the reference every
// other mode is checked against.
enum class Mode { kScript, kFrozen, kOptimized };

// "script", "frozen", "optimized" (the names --mode takes).
constexpr std::string_view mode_name(Mode mode) {
  switch (mode) {
    case Mode::kScript:
      return "script";
    case Mode::kFrozen:
      return "frozen";
    case Mode::kOptimized:
      return "optimized";
  }
  return "?";
}

// A tensor shape as messages show it: "[1, 3, 224, 224]".
inline std::string format_shape(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

// Every tensor of one forward pass, flattened and concatenated; `shape` is
// the first tensor's.
struct OutputValues {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

// A float32 input tensor of a given shape filled with torch::rand after
// torch::manual_seed(seed): the generator models/export.py uses for the
// sidecar's reference input, so sample 0 of any batch equals that input.
class InputBatch {
 public:
  static Expected<InputBatch> make(const std::vector<int64_t>& shape, uint64_t seed,
                                   bool channels_last);
  const std::vector<int64_t>& shape() const { return shape_; }
  // This input zero-padded at the end of each dimension up to `shape` (same
  // rank, no side smaller): what a bucketed server does to a request.
  Expected<InputBatch> padded(const std::vector<int64_t>& shape) const;
  double first_sample_sum() const;  // to tell a different RNG from a different model

 private:
  friend class PreparedModel;
  struct Impl;
  std::shared_ptr<const Impl> impl_;
  std::vector<int64_t> shape_;
};

struct PrepareOptions {
  bool channels_last = false;  // 4-D parameters to channels-last before freezing
  bool inference_mode = true;  // forward under c10::InferenceMode
  // A module of its own even in script mode (which otherwise shares the
  // loaded one), so its shape-specialized state is its own: one per bucket.
  bool own_copy = false;
};

// What a mode's forward graph is made of (inlined, so script mode's calls
// into submodules count as the nodes they run): node counts by kind, and the
// activations that still follow a convolution as their own node (a fusion
// the pass did not make, such as MobileNetV2's ReLU6 clamps).
struct GraphStats {
  int64_t nodes = 0;
  std::map<std::string, int64_t> by_kind;  // "aten::conv2d" -> 52
  int64_t unfused_activations = 0;
  std::map<std::string, int64_t> unfused_by_kind;
};

// A module ready to run in one mode; keeps its last output for accuracy checks.
class PreparedModel {
 public:
  Expected<void> forward(const InputBatch& input);
  Expected<OutputValues> last_output() const;  // every tensor in the output, flattened
  // One forward pass on caller-owned float32 values (row-major, numel(shape)
  // of them), returning its output; safe to call from several threads at
  // once (serve's workers), unlike forward() + last_output().
  Expected<OutputValues> run(const std::vector<int64_t>& shape, const std::vector<float>& values) const;
  Mode mode() const { return mode_; }
  Expected<GraphStats> graph_stats() const;

 private:
  friend class TorchModel;
  struct Impl;
  std::shared_ptr<Impl> impl_;
  Mode mode_ = Mode::kScript;
};

class TorchModel {
 public:
  static Expected<TorchModel> load(const std::filesystem::path& path);
  Expected<PreparedModel> prepare(Mode mode, const PrepareOptions& options) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  std::filesystem::path path_;
};

}  // namespace coldbench::workload
