#pragma once
// A fixed set of inference threads with a bounded wait queue: a request that
// finds every worker busy and the queue full is refused at once (the server
// answers 503) instead of piling up behind a slow model.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace coldbench::workload::serve {

class InferencePool {
 public:
  // `queue_capacity` jobs may wait beyond the ones running on idle workers.
  InferencePool(size_t workers, size_t queue_capacity);
  ~InferencePool();  // shutdown()
  InferencePool(const InferencePool&) = delete;
  InferencePool& operator=(const InferencePool&) = delete;

  // false: full or shut down; the job was not taken.
  bool try_submit(std::function<void()> job);
  // Runs every job already accepted, then joins the workers.
  void shutdown();

 private:
  void work();

  const size_t capacity_;  // workers + queue: jobs running or waiting
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace coldbench::workload::serve
