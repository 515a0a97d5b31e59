#include "torch/common/model.hpp"

#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include <cctype>
#include <optional>
#include <system_error>

#include "torch/common/errors.hpp"

namespace coldbench::workload {
namespace fs = std::filesystem;

namespace {

// c10::Error carries a C++ backtrace in what(); never show it.
std::string describe(const std::exception& error) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&error)) {
    return short_torch_message(c10_error->what_without_backtrace());
  }
  return short_torch_message(error.what());
}

void collect_tensors(const c10::IValue& value, std::vector<at::Tensor>& out) {
  if (value.isTensor()) {
    out.push_back(value.toTensor());
  } else if (value.isTuple()) {
    for (const c10::IValue& item : value.toTupleRef().elements()) collect_tensors(item, out);
  } else if (value.isList()) {
    for (const c10::IValue& item : value.toListRef()) collect_tensors(item, out);
  } else if (value.isGenericDict()) {
    for (const auto& entry : value.toGenericDict()) collect_tensors(entry.value(), out);
  }
}

torch::jit::Module to_channels_last(const torch::jit::Module& module) {
  torch::jit::Module copy = module.clone();
  torch::NoGradGuard no_grad;
  for (at::Tensor parameter : copy.parameters()) {
    if (parameter.dim() == 4)
      parameter.set_data(parameter.contiguous(at::MemoryFormat::ChannelsLast));
  }
  return copy;
}

}  // namespace

struct InputBatch::Impl {
  at::Tensor tensor;
};

struct PreparedModel::Impl {
  torch::jit::Module module;
  bool inference_mode = true;
  c10::IValue last_output;
};

struct TorchModel::Impl {
  torch::jit::Module module;
};

Expected<InputBatch> InputBatch::make(const std::vector<int64_t>& shape, uint64_t seed,
                                      bool channels_last) {
  if (channels_last && shape.size() != 4) {
    return make_error("--channels-last needs a 4-D input (N, C, H, W); this input is {}-D {}",
                      shape.size(), format_shape(shape));
  }
  try {
    torch::manual_seed(seed);
    at::Tensor tensor = torch::rand(shape, torch::kFloat32);
    if (channels_last) tensor = tensor.contiguous(at::MemoryFormat::ChannelsLast);
    auto impl = std::make_shared<Impl>();
    impl->tensor = std::move(tensor);
    InputBatch batch;
    batch.impl_ = std::move(impl);
    batch.shape_ = shape;
    return batch;
  } catch (const std::exception& e) {
    return make_error("cannot create an input of shape {}: {}", format_shape(shape), describe(e));
  }
}

Expected<InputBatch> InputBatch::padded(const std::vector<int64_t>& shape) const {
  if (shape.size() != shape_.size()) {
    return make_error("cannot pad {} to {}: the ranks differ", format_shape(shape_), format_shape(shape));
  }
  std::vector<int64_t> pad;  // constant_pad_nd: (before, after) pairs from the last dimension back
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] < shape_[i]) {
      return make_error("cannot pad {} to {}: dimension {} would shrink", format_shape(shape_),
                        format_shape(shape), i);
    }
    pad.push_back(0);
    pad.push_back(shape[i] - shape_[i]);
  }
  try {
    auto impl = std::make_shared<Impl>();
    impl->tensor = at::constant_pad_nd(impl_->tensor, pad, 0.0);
    if (impl_->tensor.is_contiguous(at::MemoryFormat::ChannelsLast) && shape.size() == 4) {
      impl->tensor = impl->tensor.contiguous(at::MemoryFormat::ChannelsLast);
    }
    InputBatch batch;
    batch.impl_ = std::move(impl);
    batch.shape_ = shape;
    return batch;
  } catch (const std::exception& e) {
    return make_error("cannot pad {} to {}: {}", format_shape(shape_), format_shape(shape), describe(e));
  }
}

double InputBatch::first_sample_sum() const {
  if (!impl_ || impl_->tensor.dim() == 0 || impl_->tensor.size(0) == 0) return 0;
  return impl_->tensor[0].sum(at::kDouble).item<double>();
}

Expected<void> PreparedModel::forward(const InputBatch& input) {
  try {
    std::optional<c10::InferenceMode> guard;
    if (impl_->inference_mode) guard.emplace();
    impl_->last_output = impl_->module.forward({input.impl_->tensor});
    return {};
  } catch (const std::exception& e) {
    return make_error("the model rejected an input of shape {} ({} mode): {}",
                      format_shape(input.shape()), mode_name(mode_), describe(e));
  }
}

namespace {

Expected<OutputValues> flatten_output(const c10::IValue& output) {
  std::vector<at::Tensor> tensors;
  collect_tensors(output, tensors);
  if (tensors.empty()) {
    return make_error("the model's output has no tensors (it returned {})", output.tagKind());
  }
  OutputValues out;
  out.shape = tensors.front().sizes().vec();
  try {
    for (const at::Tensor& tensor : tensors) {
      at::Tensor flat = tensor.to_dense().to(at::kFloat).contiguous().reshape(-1);
      const float* data = flat.data_ptr<float>();
      out.values.insert(out.values.end(), data, data + flat.numel());
    }
  } catch (const std::exception& e) {
    return make_error("cannot read the model's output: {}", describe(e));
  }
  return out;
}

}  // namespace

Expected<OutputValues> PreparedModel::last_output() const { return flatten_output(impl_->last_output); }

Expected<OutputValues> PreparedModel::run(const std::vector<int64_t>& shape, const std::vector<float>& values) const {
  try {
    std::optional<c10::InferenceMode> guard;
    if (impl_->inference_mode) guard.emplace();
    // from_blob borrows the caller's values: no copy on the request path.
    at::Tensor input = torch::from_blob(const_cast<float*>(values.data()), shape, torch::kFloat32);
    if (input.numel() != static_cast<int64_t>(values.size())) {
      return make_error("{} values do not fill shape {}", values.size(), format_shape(shape));
    }
    return flatten_output(impl_->module.forward({input}));
  } catch (const std::exception& e) {
    return make_error("the model rejected an input of shape {} ({} mode): {}", format_shape(shape),
                      mode_name(mode_), describe(e));
  }
}

namespace {

std::string lower(const std::string& text) {
  std::string out = text;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// ATen's and the oneDNN rewrite's spellings (aten::hardtanh_, prim::MKLDNNHardTanh_, ...).
bool is_activation(const std::string& kind) {
  const std::string k = lower(kind);
  for (const char* name : {"relu", "hardtanh", "clamp", "hardswish", "silu", "sigmoid"}) {
    if (k.find(name) != std::string::npos) return true;
  }
  return false;
}

void count_block(const torch::jit::Block* block, GraphStats& stats) {
  for (const torch::jit::Node* node : block->nodes()) {
    const std::string kind = node->kind().toQualString();
    ++stats.nodes;
    ++stats.by_kind[kind];
    if (is_activation(kind) && node->inputs().size() > 0) {
      const std::string producer = lower(node->inputs()[0]->node()->kind().toQualString());
      if (producer.find("conv") != std::string::npos) {
        ++stats.unfused_activations;
        ++stats.unfused_by_kind[kind];
      }
    }
    for (const torch::jit::Block* inner : node->blocks()) count_block(inner, stats);
  }
}

}  // namespace

Expected<GraphStats> PreparedModel::graph_stats() const {
  try {
    std::shared_ptr<torch::jit::Graph> graph = impl_->module.get_method("forward").graph()->copy();
    torch::jit::Inline(*graph);
    GraphStats stats;
    count_block(graph->block(), stats);
    return stats;
  } catch (const std::exception& e) {
    return make_error("cannot read the {} mode forward graph: {}", mode_name(mode_), describe(e));
  }
}

Expected<TorchModel> TorchModel::load(const fs::path& path) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) {
    return make_error("model file {} does not exist or is not a file", path.string());
  }
  TorchModel model;
  model.path_ = path;
  try {
    auto impl = std::make_shared<Impl>();
    impl->module = torch::jit::load(path.string(), torch::kCPU);
    impl->module.eval();
    model.impl_ = std::move(impl);
  } catch (const std::exception& e) {
    return make_error(
        "cannot load {} as a TorchScript model: {}. fix: pass a file saved with "
        "torch.jit.save (torch.jit.script or torch.jit.trace), or re-export the "
        "shipped models with models/export.py",
        path.string(), describe(e));
  }
  return model;
}

Expected<PreparedModel> TorchModel::prepare(Mode mode, const PrepareOptions& options) const {
  PreparedModel prepared;
  prepared.mode_ = mode;
  try {
    auto impl = std::make_shared<PreparedModel::Impl>();
    impl->inference_mode = options.inference_mode;
    torch::jit::Module module =
        options.channels_last ? to_channels_last(impl_->module) : impl_->module;
    switch (mode) {
      case Mode::kScript:
        impl->module = options.own_copy && !options.channels_last ? module.clone() : module;
        break;
      case Mode::kFrozen:
        impl->module = torch::jit::freeze(module);
        break;
      case Mode::kOptimized: {
        // optimize_for_inference freezes an unfrozen module itself, as the Python API does.
        impl->module = torch::jit::optimize_for_inference(module);
        break;
      }
    }
    prepared.impl_ = std::move(impl);
  } catch (const std::exception& e) {
    return make_error("cannot prepare {} for {} mode: {}", path_.string(), mode_name(mode),
                      describe(e));
  }
  return prepared;
}

}  // namespace coldbench::workload
