#pragma once
// The training loop the profile scenarios run, behind an opaque type so that
// only profile/training.cpp pays for LibTorch's headers:
// - data: a synthetic image dataset whose get() does `cpu_work` iterations of
//   augmentation arithmetic and sleeps `io_sleep_ms` (simulated storage);
//   with a PacedStorage each batch then waits for its delivery slot instead
//   (the dataloader scenario); loaded by LibTorch's data loader
//   (torch::data::make_data_loader) with `num_workers` worker threads,
//   fixed-size batches (drop_last);
// - model: a small CNN (three conv-bn-relu stages, pool, linear); tiny_ops
//   adds a block of many tiny element-wise ops, memory_churn makes many
//   temporary tensors per step, sync reads device values on the host
//   (.item()) every step;
// - AdamW over all parameters; with --amp, autocast (CPU bfloat16; CUDA
//   float16 with dynamic loss scaling).
// Every LibTorch exception becomes an Error with a short message.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "torch/profile/data_sizing.hpp"
#include "torch/profile/options.hpp"

namespace coldbench::workload {

// Whether this LibTorch can run on a CUDA device here.
bool cuda_usable();

struct TrainingSetup {
  Scenario scenario = Scenario::kBaseline;
  DeviceKind device = DeviceKind::kCpu;
  AmpPlan amp;
  int64_t batch_size = 64;
  int num_workers = 2;
  bool pin_memory = false;
  int64_t image_size = 64;
  int64_t num_classes = 10;
  int64_t dataset_size = 0;  // samples; enough for every step, one epoch
  uint64_t seed = 0;
  DataLoad data;
  std::shared_ptr<PacedStorage> storage;  // data.paced: shared with the runner, which sizes it
};

// What the scenario planted, for the report ("tiny_ops: 3 x 256 element-wise ops").
struct ScenarioShape {
  int64_t parameters = 0;      // trainable parameters
  int64_t tiny_ops_depth = 0;  // element-wise op triples in the tiny-ops block
  int64_t churn_tensors = 0;   // temporary tensors per step
  int64_t host_reads_per_step = 0;
};

class TrainingSession {
 public:
  static Expected<TrainingSession> create(const TrainingSetup& setup);

  // Takes the next batch from the data loader (and to the device); an error
  // when the loader is exhausted.
  Expected<void> next_batch();
  // zero_grad, forward (+ the scenario's extra work), loss, backward, AdamW step.
  Expected<void> train_step();
  // One training step on a random batch made here, not by the loader, timed
  // between device synchronisations (seconds): the paced storage's calibration,
  // before the loader starts.
  Expected<double> synthetic_step();
  // Waits for the device (CUDA); nothing on CPU.
  void synchronize();

  const ScenarioShape& shape() const;
  double last_loss() const;                // read after the loop, never inside a profiled step
  std::vector<std::string> notes() const;  // what a setting did not do here, and why

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace coldbench::workload
