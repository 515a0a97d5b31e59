#include "torch/profile/training.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <torch/cuda.h>
#include <torch/data.h>
#include <torch/nn.h>
#include <torch/optim.h>
#include <torch/utils.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "torch/common/errors.hpp"

// The model and the scenarios' extra work live in a named namespace and out
// of line, so that --with-stack shows them by name in each op's call stack.
namespace coldbench::workload::training {

// Element-wise op triples (mul, add, tanh) in the tiny_ops block: enough
// that its forward and backward ops outnumber the whole baseline step's
// several times over (docs/profile.md).
constexpr int64_t kTinyOpsDepth = 256;
// Iterations of memory_churn's per-sample temporaries (a jittered copy, its
// clamp and mean: about seven allocator events each with the scalars).
constexpr int64_t kChurnTensors = 256;
// Values the sync scenario reads on the host per step: loss, correct
// predictions, feature magnitude, as a training loop that logs every step does.
constexpr int64_t kHostReadsPerStep = 3;

struct ConvBnReluImpl : torch::nn::Module {
  ConvBnReluImpl(int64_t in, int64_t out, int64_t stride)
      : conv(register_module(
            "conv",
            torch::nn::Conv2d(
                torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)))),
        bn(register_module("bn", torch::nn::BatchNorm2d(out))) {}

  torch::Tensor forward(const torch::Tensor& x) { return torch::relu(bn(conv(x))); }

  torch::nn::Conv2d conv;
  torch::nn::BatchNorm2d bn;
};
TORCH_MODULE(ConvBnRelu);

// The backbone: 3 -> 16 -> 32 (stride 2) -> 64 (stride 2), global average
// pool, linear classifier.
struct SimpleCnnImpl : torch::nn::Module {
  explicit SimpleCnnImpl(int64_t classes)
      : stem(register_module("stem", ConvBnRelu(3, 16, 1))),
        stage1(register_module("stage1", ConvBnRelu(16, 32, 2))),
        stage2(register_module("stage2", ConvBnRelu(32, 64, 2))),
        head(register_module("head", torch::nn::Linear(64, classes))) {}

  [[gnu::noinline]] torch::Tensor features(const torch::Tensor& images) {
    torch::Tensor x = stage2(stage1(stem(images)));
    return torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  }
  [[gnu::noinline]] torch::Tensor classify(const torch::Tensor& features) { return head(features); }

  ConvBnRelu stem, stage1, stage2;
  torch::nn::Linear head;
};
TORCH_MODULE(SimpleCnn);

// Many tiny element-wise ops on the pooled features: each is microseconds of
// arithmetic and as much again in dispatch (on a GPU, one kernel launch each).
struct TinyOpsBlockImpl : torch::nn::Module {
  TinyOpsBlockImpl(int64_t width, int64_t depth)
      : scale(register_parameter("scale", torch::ones({width}))),
        shift(register_parameter("shift", torch::zeros({width}))),
        depth(depth) {}

  [[gnu::noinline]] torch::Tensor forward(torch::Tensor x) {
    for (int64_t i = 0; i < depth; ++i) x = torch::tanh(x * scale + shift);
    return x;
  }

  torch::Tensor scale, shift;
  int64_t depth;
};
TORCH_MODULE(TinyOpsBlock);

// memory_churn: a per-sample "augmentation" written without reuse: every
// iteration makes fresh temporaries from one sample (a jittered copy, its
// clamp, its mean) and drops them. Sample-sized, so the allocator's free
// lists serve them: the cost is the allocation traffic, not page faults.
[[gnu::noinline]] torch::Tensor churn_temporaries(const torch::Tensor& images, int64_t count) {
  torch::NoGradGuard no_grad;
  const int64_t batch = images.size(0);
  torch::Tensor brightness = torch::zeros({batch}, images.options());
  for (int64_t i = 0; i < count; ++i) {
    const int64_t sample = i % batch;
    torch::Tensor jittered =
        images.narrow(0, sample, 1) * (1.0 + 1e-3 * static_cast<double>(i % 8));
    torch::Tensor clipped = jittered.clamp(0.0, 1.0);
    brightness.narrow(0, sample, 1) += clipped.mean();
  }
  return images - (brightness * (1e-3 / static_cast<double>(std::max<int64_t>(count, 1))))
                      .view({batch, 1, 1, 1});
}

// sync: values read on the host inside the step. On CUDA each read waits for
// every queued kernel; on CPU ops are synchronous, so what shows is the read
// itself (aten::item -> aten::_local_scalar_dense) and its place in the step.
[[gnu::noinline]] double log_step_statistics(const torch::Tensor& loss, const torch::Tensor& logits,
                                             const torch::Tensor& labels,
                                             const torch::Tensor& features) {
  torch::NoGradGuard no_grad;
  double value = loss.item<double>();
  value += static_cast<double>(logits.argmax(1).eq(labels).sum().item<int64_t>());
  value += features.abs().mean().item<double>();
  return value;
}

// The per-sample CPU augmentation: `iterations` passes of a brightness/
// contrast jitter over a 256-value window sliding through the image, written
// back (so the work cannot be optimised away). 4000 iterations is about a
// million multiply-adds.
void augment(float* data, int64_t numel, int64_t iterations) {
  const int64_t window = std::min<int64_t>(256, numel);
  if (window <= 0) return;
  for (int64_t it = 0; it < iterations; ++it) {
    const int64_t base = (it * 97) % (numel - window + 1);
    const float gain = 1.0f + 1e-4f * static_cast<float>(it % 7);
    const float bias = 1e-5f * static_cast<float>(it % 3);
    for (int64_t j = 0; j < window; ++j) {
      float value = data[base + j] * gain + bias;
      data[base + j] = value > 1.0f ? 1.0f : value;
    }
  }
}

void name_worker_thread() {
  thread_local bool named = false;
  if (named) return;
  named = true;
  if (::syscall(SYS_gettid) != ::getpid()) pthread_setname_np(pthread_self(), "cb-data-worker");
}

class SyntheticImages : public torch::data::datasets::Dataset<SyntheticImages> {
 public:
  SyntheticImages(int64_t size, int64_t image_size, int64_t classes, uint64_t seed, DataLoad load,
                  std::shared_ptr<PacedStorage> storage)
      : size_(size),
        image_size_(image_size),
        classes_(classes),
        seed_(seed),
        load_(load),
        storage_(std::move(storage)) {}

  // The samples (in parallel across workers), then the batch's slot at the
  // paced storage, in the order the workers took the batches
  // (profile_data_sizing.hpp).
  std::vector<torch::data::Example<>> get_batch(c10::ArrayRef<size_t> indices) override {
    using Base = torch::data::datasets::Dataset<SyntheticImages>;
    if (!storage_) return Base::get_batch(indices);
    const uint64_t ticket = storage_->take_ticket();
    std::vector<torch::data::Example<>> batch;
    try {
      batch = Base::get_batch(indices);
    } catch (...) {
      storage_->abandon(ticket);  // the batches after this one still get their turn
      throw;
    }
    RECORD_USER_SCOPE("Dataset.storage_read");
    storage_->deliver(ticket);
    return batch;
  }

  torch::data::Example<> get(size_t index) override {
    name_worker_thread();
    RECORD_USER_SCOPE("Dataset.get");
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed_ * 1'000'003ULL + index);
    torch::Tensor image = torch::rand({3, image_size_, image_size_}, generator);
    augment(image.data_ptr<float>(), image.numel(), load_.cpu_work);
    if (load_.io_sleep_ms > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(load_.io_sleep_ms));
    }
    torch::Tensor label = torch::full({}, static_cast<int64_t>(index) % classes_, torch::kLong);
    return {image, label};
  }

  torch::optional<size_t> size() const override { return static_cast<size_t>(size_); }

 private:
  int64_t size_;
  int64_t image_size_;
  int64_t classes_;
  uint64_t seed_;
  DataLoad load_;
  std::shared_ptr<PacedStorage> storage_;  // shared by every worker's copy
};

using Batches =
    torch::data::datasets::MapDataset<SyntheticImages, torch::data::transforms::Stack<>>;
using Loader = torch::data::StatelessDataLoader<Batches, torch::data::samplers::RandomSampler>;

// Autocast for the forward pass, as torch.autocast does it.
class AutocastScope {
 public:
  AutocastScope(const AmpPlan& plan, DeviceKind device) {
    if (!plan.enabled) return;
    active_ = true;
    cuda_ = device == DeviceKind::kCuda;
    if (cuda_) {
      previous_ = at::autocast::is_enabled();
      at::autocast::set_enabled(true);
      at::autocast::set_autocast_gpu_dtype(at::kHalf);
    } else {
      previous_ = at::autocast::is_cpu_enabled();
      at::autocast::set_cpu_enabled(true);
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    }
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    if (cuda_) {
      at::autocast::set_enabled(previous_);
    } else {
      at::autocast::set_cpu_enabled(previous_);
    }
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool previous_ = false;
};

// Dynamic loss scaling for float16 (torch.cuda.amp.GradScaler's algorithm on
// the same ATen ops; the C++ API has no GradScaler): scale the loss, unscale
// the gradients, skip the step when one is not finite, grow or back off.
class LossScaler {
 public:
  explicit LossScaler(torch::Device device)
      : scale_(
            torch::full({1}, 65536.0, torch::TensorOptions().dtype(torch::kFloat).device(device))),
        growth_tracker_(
            torch::zeros({1}, torch::TensorOptions().dtype(torch::kInt).device(device))) {}

  torch::Tensor scale(const torch::Tensor& loss) const { return loss * scale_.to(loss.dtype()); }

  void step(torch::optim::Optimizer& optimizer, const std::vector<torch::Tensor>& parameters) {
    std::vector<torch::Tensor> grads;
    for (const torch::Tensor& parameter : parameters) {
      if (parameter.grad().defined()) grads.push_back(parameter.grad());
    }
    torch::Tensor found_inf = torch::zeros({1}, scale_.options());
    torch::Tensor inverse = scale_.to(torch::kDouble).reciprocal().to(torch::kFloat);
    at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inverse);
    // A host read, as in GradScaler.step: the step is skipped on overflow.
    if (found_inf.item<float>() == 0.0f) optimizer.step();
    at::_amp_update_scale_(scale_, growth_tracker_, found_inf, 2.0, 0.5, 2000);
  }

 private:
  torch::Tensor scale_;
  torch::Tensor growth_tracker_;
};

}  // namespace coldbench::workload::training

namespace coldbench::workload {
namespace {

std::string describe(const std::exception& error) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&error)) {
    return short_torch_message(c10_error->what_without_backtrace());
  }
  return short_torch_message(error.what());
}

}  // namespace

bool cuda_usable() {
  try {
    return torch::cuda::is_available();
  } catch (const std::exception&) {
    return false;
  }
}

struct TrainingSession::Impl {
  TrainingSetup setup;
  ScenarioShape shape;
  torch::Device device{torch::kCPU};
  training::SimpleCnn model{nullptr};
  training::TinyOpsBlock tiny{nullptr};
  std::vector<torch::Tensor> parameters;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::optional<training::LossScaler> scaler;
  std::unique_ptr<training::Loader> loader;
  std::optional<torch::data::Iterator<torch::data::Example<>>> position;
  int64_t batches_taken = 0;
  torch::Tensor images;
  torch::Tensor labels;
  torch::Tensor last_loss;
};

Expected<TrainingSession> TrainingSession::create(const TrainingSetup& setup) {
  try {
    auto impl = std::make_shared<Impl>();
    impl->setup = setup;
    impl->device = setup.device == DeviceKind::kCuda ? torch::Device(torch::kCUDA, 0)
                                                     : torch::Device(torch::kCPU);
    torch::manual_seed(setup.seed);
    impl->model = training::SimpleCnn(setup.num_classes);
    impl->tiny = training::TinyOpsBlock(64, training::kTinyOpsDepth);
    impl->model->to(impl->device);
    impl->tiny->to(impl->device);
    impl->model->train();
    impl->tiny->train();
    // Both parts are optimised in every scenario, as profiler_demo.py does;
    // outside tiny_ops the block gets no gradient and AdamW skips it.
    impl->parameters = impl->model->parameters();
    for (const torch::Tensor& parameter : impl->tiny->parameters()) {
      impl->parameters.push_back(parameter);
    }
    impl->optimizer = std::make_unique<torch::optim::AdamW>(
        impl->parameters, torch::optim::AdamWOptions(1e-3).weight_decay(1e-2));
    if (setup.amp.loss_scaling) impl->scaler.emplace(impl->device);

    for (const torch::Tensor& parameter : impl->parameters) {
      impl->shape.parameters += parameter.numel();
    }
    if (setup.scenario == Scenario::kTinyOps) impl->shape.tiny_ops_depth = training::kTinyOpsDepth;
    if (setup.scenario == Scenario::kMemoryChurn)
      impl->shape.churn_tensors = training::kChurnTensors;
    if (setup.scenario == Scenario::kSync) {
      impl->shape.host_reads_per_step = training::kHostReadsPerStep;
    }

    auto dataset = training::SyntheticImages(setup.dataset_size, setup.image_size,
                                             setup.num_classes, setup.seed, setup.data,
                                             setup.storage)
                       .map(torch::data::transforms::Stack<>());
    impl->loader = torch::data::make_data_loader(
        std::move(dataset), torch::data::DataLoaderOptions()
                                .batch_size(static_cast<size_t>(setup.batch_size))
                                .workers(static_cast<size_t>(setup.num_workers))
                                .drop_last(true));
    TrainingSession session;
    session.impl_ = std::move(impl);
    return session;
  } catch (const std::exception& error) {
    return make_error("cannot set up the {} scenario: {}", scenario_name(setup.scenario),
                      describe(error));
  }
}

Expected<void> TrainingSession::next_batch() {
  Impl& impl = *impl_;
  try {
    if (!impl.position) {
      impl.position.emplace(impl.loader->begin());
    } else {
      ++*impl.position;
    }
    if (*impl.position == impl.loader->end()) {
      return make_error("the data loader ran out of batches after {} (dataset of {} samples)",
                        impl.batches_taken, impl.setup.dataset_size);
    }
    ++impl.batches_taken;
    torch::data::Example<>& batch = **impl.position;
    impl.images = batch.data;
    impl.labels = batch.target;
    if (impl.device.is_cuda()) {
      const bool pin = impl.setup.pin_memory;
      if (pin) {
        impl.images = impl.images.pin_memory();
        impl.labels = impl.labels.pin_memory();
      }
      impl.images = impl.images.to(impl.device, /*non_blocking=*/pin);
      impl.labels = impl.labels.to(impl.device, /*non_blocking=*/pin);
    }
    return {};
  } catch (const std::exception& error) {
    return make_error("loading a batch failed: {}", describe(error));
  }
}

Expected<void> TrainingSession::train_step() {
  Impl& impl = *impl_;
  const Scenario scenario = impl.setup.scenario;
  try {
    {
      RECORD_USER_SCOPE("Optimizer.zero_grad#AdamW.zero_grad");
      impl.optimizer->zero_grad();
    }
    torch::Tensor loss;
    {
      RECORD_USER_SCOPE("forward");
      training::AutocastScope autocast(impl.setup.amp, impl.setup.device);
      torch::Tensor images = impl.images;
      if (scenario == Scenario::kMemoryChurn) {
        images = training::churn_temporaries(images, training::kChurnTensors);
      }
      torch::Tensor features = impl.model->features(images);
      if (scenario == Scenario::kTinyOps) features = impl.tiny->forward(features);
      torch::Tensor logits = impl.model->classify(features);
      loss = torch::nn::functional::cross_entropy(logits.to(torch::kFloat), impl.labels);
      if (scenario == Scenario::kSync) {
        (void)training::log_step_statistics(loss, logits, impl.labels, features);
      }
    }
    {
      RECORD_USER_SCOPE("backward");
      if (impl.scaler) {
        impl.scaler->scale(loss).backward();
      } else {
        loss.backward();
      }
    }
    {
      RECORD_USER_SCOPE("Optimizer.step#AdamW.step");
      if (impl.scaler) {
        impl.scaler->step(*impl.optimizer, impl.parameters);
      } else {
        impl.optimizer->step();
      }
    }
    impl.last_loss = loss.detach();
    return {};
  } catch (const std::exception& error) {
    return make_error("a training step of the {} scenario failed: {}", scenario_name(scenario),
                      describe(error));
  }
}

Expected<double> TrainingSession::synthetic_step() {
  Impl& impl = *impl_;
  try {
    const int64_t size = impl.setup.image_size;
    impl.images = torch::rand({impl.setup.batch_size, 3, size, size}).to(impl.device);
    impl.labels =
        torch::randint(impl.setup.num_classes, {impl.setup.batch_size}, torch::kLong).to(impl.device);
  } catch (const std::exception& error) {
    return make_error("making a calibration batch failed: {}", describe(error));
  }
  synchronize();
  auto started = std::chrono::steady_clock::now();
  if (auto ok = train_step(); !ok) return ok.error();
  synchronize();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

void TrainingSession::synchronize() {
  if (impl_->device.is_cuda()) torch::cuda::synchronize();
}

const ScenarioShape& TrainingSession::shape() const {
  return impl_->shape;
}

double TrainingSession::last_loss() const {
  if (!impl_->last_loss.defined()) return 0;
  return impl_->last_loss.to(torch::kCPU).to(torch::kDouble).item<double>();
}

std::vector<std::string> TrainingSession::notes() const {
  std::vector<std::string> notes;
  const TrainingSetup& setup = impl_->setup;
  if (setup.pin_memory && setup.device == DeviceKind::kCpu) {
    notes.push_back(
        "--pin-memory has no effect on CPU: pinned (page-locked) host memory only speeds "
        "host-to-CUDA copies; it is recorded in the config");
  }
  if (setup.amp.enabled && setup.device == DeviceKind::kCpu) {
    notes.push_back(
        "--amp on CPU: autocast to bfloat16 (at::autocast CPU, LibTorch 1.13); bf16 keeps "
        "fp32's exponent range, so there is no loss scaling");
  }
  if (setup.num_workers > 0) {
    notes.push_back(
        "LibTorch's data loader runs its workers as threads of this process (Python's uses "
        "processes): they compete with training for the same CPUs and show up in the trace as "
        "cb-data-worker threads");
  }
  return notes;
}

}  // namespace coldbench::workload
