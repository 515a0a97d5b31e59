#pragma once
// From a window's events to numbers: per-op totals with self time (the
// event's duration minus its direct children's, as torch.profiler's
// key_averages computes it), the counts the scenarios are compared by, and
// the top-ops table in torch.profiler's layout. Everything here is about the
// training thread; other threads (data-loader workers) are summed apart.

#include <cstdint>
#include <string>
#include <vector>

#include "torch/profile/events.hpp"

namespace coldbench::workload {

struct OpStats {
  std::string name;  // "ProfilerStep#N" ranges are folded into "ProfilerStep*"
  bool annotation = false;
  int64_t calls = 0;
  int64_t self_ns = 0;
  int64_t total_ns = 0;
  double self_device_us = 0;  // CUDA only
  double total_device_us = 0;
  int64_t alloc_events = 0;  // allocations made while this op was the innermost open event
  int64_t alloc_bytes = 0;
};

struct ProfileCounts {
  int64_t steps = 0;         // active steps these counts cover
  int64_t op_calls = 0;      // operator and autograd-node events (no user ranges)
  int64_t host_reads = 0;    // device-to-host scalar reads: .item() -> aten::_local_scalar_dense
  int64_t alloc_events = 0;  // allocator reports with bytes > 0
  int64_t alloc_bytes = 0;
  int64_t free_events = 0;
  int64_t peak_allocated_bytes = 0;   // the allocator's highest total seen
  int64_t other_thread_op_calls = 0;  // ops on other threads (data-loader workers)
  int64_t other_thread_busy_ns = 0;   // summed duration of their outermost events

  ProfileCounts& operator+=(const ProfileCounts& other);
  double per_step(int64_t value) const {
    return steps > 0 ? static_cast<double>(value) / static_cast<double>(steps) : 0.0;
  }
};

struct WindowSummary {
  ProfileCounts counts;
  std::vector<OpStats> ops;   // unsorted
  int64_t self_total_ns = 0;  // the sum of every event's self time on the training thread
  double self_device_total_us = 0;
};

// "ProfilerStep#12" -> "ProfilerStep*"; every other name unchanged.
std::string aggregate_name(const std::string& name);

// `steps`: how many schedule steps the window recorded.
WindowSummary summarize_window(const ProfileWindow& window, int64_t steps);

// Adds `more` into `into`, merging ops by name.
void merge_summary(WindowSummary& into, const WindowSummary& more);

enum class OpSort { kSelfCpu, kSelfDevice };

// Descending by the key, then by name; stable for equal keys.
void sort_ops(std::vector<OpStats>& ops, OpSort sort);

// The table torch.profiler prints for key_averages().table(): Self CPU %,
// Self CPU, CPU total %, CPU total, CPU time avg, calls, plus allocations;
// with `device_columns` also Self CUDA / CUDA total. `ops` must be sorted.
std::string format_top_ops_table(const WindowSummary& summary, const std::vector<OpStats>& ops,
                                 int top, bool device_columns);

// torch.profiler's time format: "812.000us", "5.413ms", "1.230s".
std::string format_profiler_time(double us);

}  // namespace coldbench::workload
