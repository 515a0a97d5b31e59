#include "torch/profile/data_sizing.hpp"

#include <algorithm>

namespace coldbench::workload {

double sized_batch_interval_ms(double step_s, double target) {
  if (!(step_s > 0) || !(target >= 0)) return 0;
  return (1.0 + target) * step_s * 1e3;
}

void DataCostSizer::calibrate(const std::vector<double>& steps_s) {
  calibration_steps_s_ = steps_s;
  for (double step : steps_s) calibration_step_s_ = std::max(calibration_step_s_, step);
  reference_step_s_ = std::max(reference_step_s_, calibration_step_s_);
  initial_batch_interval_ms_ = batch_interval_ms();
}

bool DataCostSizer::observe(double step_s) {
  if (!(step_s > reference_step_s_)) return false;
  reference_step_s_ = step_s;
  return true;
}

void PacedStorage::set_interval_ms(double interval_ms) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    interval_ms_ = std::max(0.0, interval_ms);
  }
  changed_.notify_all();
}

double PacedStorage::interval_ms() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return interval_ms_;
}

uint64_t PacedStorage::take_ticket() {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_ticket_++;
}

void PacedStorage::deliver(uint64_t ticket) {
  leave(ticket, true);
}

void PacedStorage::abandon(uint64_t ticket) {
  leave(ticket, false);
}

void PacedStorage::leave(uint64_t ticket, bool paced) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return next_to_leave_ == ticket; });
  while (paced && delivered_) {
    // Recomputed on every wake-up: set_interval_ms may have lengthened it.
    auto slot = last_delivery_ + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double, std::milli>(interval_ms_));
    if (Clock::now() >= slot) break;
    changed_.wait_until(lock, slot);
  }
  if (paced) {
    delivered_ = true;
    last_delivery_ = Clock::now();
  }
  ++next_to_leave_;
  lock.unlock();
  changed_.notify_all();
}

}  // namespace coldbench::workload
