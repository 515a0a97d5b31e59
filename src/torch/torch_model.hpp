#pragma once
// The infer loop's only door to LibTorch: load a TorchScript module, prepare
// it for a mode (eval / torch::jit::freeze / torch::jit::optimize_for_inference),
// make seeded inputs and run forward. Types are opaque (pimpl) so that only
// torch_model.cpp pays for LibTorch's headers; every LibTorch exception
// becomes an Error with a short message (never a C++ stack dump).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "accuracy.hpp"
#include "core/expected.hpp"
#include "infer_options.hpp"

namespace coldbench::workload {

// A float32 input tensor of a given shape filled with torch::rand after
// torch::manual_seed(seed): the generator models/export.py uses for the
// sidecar's reference input, so sample 0 of any batch equals that input.
class InputBatch {
 public:
  static Expected<InputBatch> make(const std::vector<int64_t>& shape, uint64_t seed,
                                   bool channels_last);
  const std::vector<int64_t>& shape() const { return shape_; }
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
};

// A module ready to run in one mode; keeps its last output for accuracy checks.
class PreparedModel {
 public:
  Expected<void> forward(const InputBatch& input);
  Expected<OutputValues> last_output() const;  // every tensor in the output, flattened
  Mode mode() const { return mode_; }

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
