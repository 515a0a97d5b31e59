#pragma once
// Dynamic batching for serve (--max-batch, --batch-timeout; docs/serve.md):
// predict requests for the same model and sample shape that wait within the
// timeout are stacked along dim 0 into one forward pass, and the output is
// split back by rows. The decision (which requests go together, and when) is
// BatchQueue, with time passed in so it is unit-tested without a clock; the
// stacking and splitting are pure functions; DynamicBatcher is the thin
// threaded shell the server runs.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/expected.hpp"
#include "torch/common/model.hpp"   // OutputValues
#include "torch/serve/request.hpp"  // TensorInput

namespace coldbench::workload::serve {

// Requests that may share a forward pass: the model and the shape without dim 0.
std::string batch_key(const std::string& model, const std::vector<int64_t>& shape);

// The rows a request brings to a batch: its dim 0 (1 for a scalar input).
int64_t batch_rows(const std::vector<int64_t>& shape);

// Concatenates along dim 0. Every input needs the same trailing shape.
Expected<TensorInput> stack_inputs(const std::vector<const TensorInput*>& inputs);

// Splits a batched output back into one output per request, `rows[i]` rows
// each. An error when the output's dim 0 is not the batch's rows (a model
// whose output does not follow its input's batch dimension).
Expected<std::vector<OutputValues>> split_output(const OutputValues& output,
                                                 const std::vector<int64_t>& rows);

// Which waiting requests form the next batch, and when. Not thread-safe: the
// caller holds its own lock and passes the time in (ns on any monotonic clock).
//
// Rule: a key's waiting requests are due when their rows reach max_batch, or
// when its oldest has waited timeout_ns. A due batch takes requests in arrival
// order while their rows fit in max_batch (a single request larger than
// max_batch goes alone). Among due keys, the one with the oldest request goes first.
class BatchQueue {
 public:
  BatchQueue(int64_t max_batch, int64_t timeout_ns)
      : max_batch_(max_batch), timeout_ns_(timeout_ns) {}

  void push(const std::string& key, uint64_t id, int64_t rows, int64_t now_ns);
  // The ids of the batch to run now, in arrival order; empty when none is due.
  // `flush`: every waiting key is due (shutting down).
  std::vector<uint64_t> take_due(int64_t now_ns, bool flush = false);
  // When the earliest waiting request's timeout ends; none when nothing waits.
  std::optional<int64_t> next_deadline_ns() const;
  size_t waiting() const { return waiting_; }

 private:
  struct Waiting {
    uint64_t id;
    int64_t rows;
    int64_t since_ns;
  };
  struct Lane {
    std::deque<Waiting> requests;
    int64_t rows = 0;
  };
  int64_t max_batch_, timeout_ns_;
  std::map<std::string, Lane> lanes_;
  size_t waiting_ = 0;
};

// Worker threads that take due batches from a BatchQueue and hand them to
// `run`. At most `capacity` requests wait (not yet in a batch); beyond that
// try_submit refuses (the server answers 503 queue_full).
template <class Item>
class DynamicBatcher {
 public:
  using Run = std::function<void(std::vector<Item>&)>;
  DynamicBatcher(size_t workers, size_t capacity, int64_t max_batch, int64_t timeout_ns, Run run)
      : queue_(max_batch, timeout_ns), capacity_(capacity), run_(std::move(run)) {
    for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  ~DynamicBatcher() { shutdown(); }
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  bool try_submit(const std::string& key, int64_t rows, Item item) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || queue_.waiting() >= capacity_) return false;
      const uint64_t id = next_id_++;
      items_.emplace(id, std::move(item));
      queue_.push(key, id, rows, now_ns());
    }
    wake_.notify_all();
    return true;
  }

  // Runs every request already accepted (in batches), then joins the workers.
  void shutdown() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    threads_.clear();
  }

 private:
  using Clock = std::chrono::steady_clock;
  static int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
  }

  void work() {
    std::unique_lock lock(mutex_);
    while (true) {
      std::vector<uint64_t> ids = queue_.take_due(now_ns(), stopping_);
      if (!ids.empty()) {
        std::vector<Item> batch;
        batch.reserve(ids.size());
        for (uint64_t id : ids) {
          auto it = items_.find(id);
          batch.push_back(std::move(it->second));
          items_.erase(it);
        }
        lock.unlock();
        run_(batch);
        lock.lock();
        continue;
      }
      if (stopping_) return;  // nothing waits (take_due flushes when stopping)
      if (auto deadline = queue_.next_deadline_ns()) {
        wake_.wait_until(lock, Clock::time_point(std::chrono::nanoseconds(*deadline)));
      } else {
        wake_.wait(lock);
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  BatchQueue queue_;
  std::unordered_map<uint64_t, Item> items_;
  uint64_t next_id_ = 0;
  size_t capacity_;
  bool stopping_ = false;
  Run run_;
  std::vector<std::thread> threads_;
};

}  // namespace coldbench::workload::serve
