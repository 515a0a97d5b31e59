#pragma once
// The dataloader scenario's data cost, sized from the training step it must
// outlast, so that the scenario is data-bound by design on any device, batch
// size, worker count and machine load (docs/profile.md, "The dataloader
// scenario"). Free of LibTorch.
//
// The simulated storage (PacedStorage) delivers at most one batch per
// interval, whichever worker built it: batches then reach the training loop
// one interval apart, and a step of T waits interval - T for the next one.
// An interval of (1 + k) x T makes that wait k x T. A per-sample sleep could
// not promise this: W workers finish their batches together, so W - 1 of every
// W steps would find a batch ready. A paced wait also needs no CPU, so it is as
// long on a loaded machine as on an idle one.
//
// T is the slowest step measured so far (DataCostSizer): calibration steps
// before the loader starts, then every step of the run. A step that gets
// slower (machine load, the profiler's callbacks) lengthens the interval for
// the batch already waiting at the storage, so the bound holds while the run
// goes, not only at its start.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace coldbench::workload {

// Waiting for data takes at least this multiple of the training step.
inline constexpr double kDataWaitTarget = 2.0;
// Timed calibration steps, after one untimed step that pays a first step's
// one-off costs (allocations, oneDNN primitives).
inline constexpr int kDataSizingCalibrationSteps = 2;

// The storage's batch interval in ms that makes data wait >= target x step_s.
double sized_batch_interval_ms(double step_s, double target);

class DataCostSizer {
 public:
  explicit DataCostSizer(double target = kDataWaitTarget) : target_(target) {}

  // Calibration steps, before the loader starts; the slowest is the first reference.
  void calibrate(const std::vector<double>& steps_s);
  // A step of the run; true when it was the slowest so far (the interval grew).
  bool observe(double step_s);

  double batch_interval_ms() const { return sized_batch_interval_ms(reference_step_s_, target_); }
  double initial_batch_interval_ms() const { return initial_batch_interval_ms_; }
  double reference_step_s() const { return reference_step_s_; }  // the slowest step so far
  double calibration_step_s() const { return calibration_step_s_; }
  const std::vector<double>& calibration_steps_s() const { return calibration_steps_s_; }
  double target() const { return target_; }

 private:
  double target_;
  std::vector<double> calibration_steps_s_;
  double calibration_step_s_ = 0;
  double reference_step_s_ = 0;
  double initial_batch_interval_ms_ = 0;
};

// The simulated storage, shared by every data-loader worker (and by the
// training thread when it loads itself). A batch takes a ticket when its
// worker starts on it, and deliver(ticket) returns once every earlier ticket
// has left and at least one interval has passed since the previous delivery.
// Tickets keep the loader's own order: a worker that got less CPU for its
// batch's augmentation must not let a later batch take its slot, or the
// training loop (which takes batches in order) would wait two intervals and
// then find the next batch ready.
class PacedStorage {
 public:
  using Clock = std::chrono::steady_clock;

  // A longer interval also holds back the batch already waiting.
  void set_interval_ms(double interval_ms);
  double interval_ms() const;
  uint64_t take_ticket();
  // Blocks until this ticket's slot; the first batch leaves at once.
  void deliver(uint64_t ticket);
  // A batch that will never be delivered (its loading failed) gives up its turn.
  void abandon(uint64_t ticket);

 private:
  void leave(uint64_t ticket, bool paced);

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  double interval_ms_ = 0;
  uint64_t next_ticket_ = 0;
  uint64_t next_to_leave_ = 0;
  bool delivered_ = false;
  Clock::time_point last_delivery_{};
};

}  // namespace coldbench::workload
