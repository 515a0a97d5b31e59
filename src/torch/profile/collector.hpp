#pragma once
// The profiler's event source, on the hooks LibTorch's own profiler uses:
// - a global RecordFunction callback: every ATen op, autograd node and user
//   range on every thread (the legacy and Kineto profilers in 1.13 register a
//   thread-local one, which would miss the data-loader's worker threads), with
//   start/end on CLOCK_MONOTONIC, input shapes and dtypes, the enclosing
//   event, and with --with-stack the native call stack;
// - a memory reporter (a torch::profiler::impl::ProfilerStateBase in the
//   training thread's debug info, where c10's allocators look for the
//   profiler): one event per allocation and free, attributed to the op open
//   at the time;
// - on CUDA, device time per op from CUDA events through the profiler's CUDA
//   stubs (registered only when LibTorch's CUDA library is loaded).
// Only this file's .cpp includes LibTorch headers.

#include <memory>
#include <string>

#include "core/expected.hpp"
#include "torch/profile/events.hpp"

namespace at {
struct RecordFunction;
}

namespace coldbench::workload {

struct CollectorSettings {
  bool record_shapes = true;
  bool profile_memory = true;
  bool with_stack = false;
  bool device_time = false;  // CUDA events per op; ignored when CUDA is not loaded
};

// A named range on the timeline ("ProfilerStep#3"), user_annotation in the
// trace. Costs nothing when nothing records.
class TraceRange {
 public:
  explicit TraceRange(const std::string& name);
  ~TraceRange();
  TraceRange(const TraceRange&) = delete;
  TraceRange& operator=(const TraceRange&) = delete;

 private:
  std::unique_ptr<at::RecordFunction> range_;
};

// One per process at a time. start() on the training thread: memory is
// recorded for the thread that started (and what LibTorch propagates its
// thread-local state to); ops for every thread.
class OpCollector {
 public:
  OpCollector();
  ~OpCollector();
  OpCollector(const OpCollector&) = delete;
  OpCollector& operator=(const OpCollector&) = delete;

  Expected<void> start(const CollectorSettings& settings);
  void discard();        // forget what was recorded so far, keep recording (warmup -> active)
  ProfileWindow stop();  // stop recording; the window has every event since start/discard
  bool recording() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace coldbench::workload
