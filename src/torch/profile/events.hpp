#pragma once
// What one profiler window recorded, free of LibTorch types: the trace
// writer and the top-ops aggregation work on these, so both are unit-tested
// without a model. profile/collector.cpp fills them from RecordFunction
// callbacks and the allocator's memory reports.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace coldbench::workload {

enum class EventKind {
  kOperator,    // an ATen operator (RecordScope::FUNCTION): "aten::conv2d"
  kBackward,    // an autograd node (RecordScope::BACKWARD_FUNCTION): "ConvolutionBackward0"
  kAnnotation,  // a user range (RecordScope::USER_SCOPE): "ProfilerStep#2", "forward"
};

struct OpEvent {
  std::string name;
  EventKind kind = EventKind::kOperator;
  int64_t tid = 0;       // kernel thread id
  int64_t start_ns = 0;  // CLOCK_MONOTONIC
  int64_t end_ns = 0;
  int64_t parent = -1;       // index in ProfileWindow::ops of the enclosing event, same thread
  int64_t sequence_nr = -1;  // autograd sequence number (links fwd/bwd)
  std::vector<std::vector<int64_t>> input_dims;  // one entry per input; [] for non-tensors
  std::vector<std::string> input_types;          // "float", "c10::BFloat16", "Scalar", ...
  std::vector<std::string> stack;   // with --with-stack: native frames, innermost first
  std::optional<double> device_us;  // CUDA time between the op's start and end (CUDA only)

  int64_t duration_ns() const { return end_ns > start_ns ? end_ns - start_ns : 0; }
  bool is_op() const { return kind != EventKind::kAnnotation; }
};

// One report from the allocator: an allocation (bytes > 0) or a free (< 0).
struct MemoryEvent {
  int64_t ts_ns = 0;  // CLOCK_MONOTONIC
  int64_t tid = 0;
  int64_t bytes = 0;
  int64_t total_allocated = 0;  // the allocator's total after this event
  int64_t total_reserved = 0;
  uint64_t address = 0;
  int device_type = 0;  // c10::DeviceType: 0 CPU, 1 CUDA
  int device_index = -1;
  int64_t op = -1;  // index in ProfileWindow::ops of the innermost open event, if any
};

struct ThreadInfo {
  int64_t tid = 0;
  std::string name;
};

struct ProfileWindow {
  int index = 0;       // 0-based window number
  int first_step = 0;  // schedule steps this window recorded (inclusive)
  int last_step = 0;
  int64_t start_ns = 0;  // CLOCK_MONOTONIC when recording began / ended
  int64_t end_ns = 0;
  int64_t epoch_offset_ns = 0;  // add to a CLOCK_MONOTONIC time for Unix-epoch ns
  // The trace's time zero (CLOCK_MONOTONIC; 0: start_ns). Timestamps are
  // microseconds since it: small numbers keep their nanoseconds as doubles,
  // which epoch microseconds (~1.7e15) would not, and nesting depends on them.
  int64_t trace_base_ns = 0;
  int64_t main_tid = 0;      // the training thread
  bool device_time = false;  // ops carry device_us
  bool with_stack = false;   // ops carry native stacks; the trace adds their scope chain
  std::vector<OpEvent> ops;
  std::vector<MemoryEvent> memory;
  std::vector<ThreadInfo> threads;
};

}  // namespace coldbench::workload
