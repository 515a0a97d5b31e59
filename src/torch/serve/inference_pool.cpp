#include "torch/serve/inference_pool.hpp"

namespace coldbench::workload::serve {

InferencePool::InferencePool(size_t workers, size_t queue_capacity)
    : capacity_(workers + queue_capacity) {
  threads_.reserve(workers);
  for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

InferencePool::~InferencePool() {
  shutdown();
}

bool InferencePool::try_submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    // Counted from jobs, not from idle threads, so a worker that has not
    // reached its wait yet still counts as free.
    if (stopping_ || running_ + jobs_.size() >= capacity_) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void InferencePool::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

void InferencePool::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and nothing left to run
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    ++running_;
    lock.unlock();
    job();
    lock.lock();
    --running_;
  }
}

}  // namespace coldbench::workload::serve
