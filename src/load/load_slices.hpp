#pragma once
// How a load session enters the history (docs/load.md, "History"): its
// requests are cut by intended send time into fixed slices, and each slice is
// one run of the session's one command, whose `latency` and `service_time`
// metrics are that slice's request latencies. report's metric summaries and
// compare's per-run medians then work on load sessions unchanged; a slice, not
// a request, is the independent unit (neighbouring requests share a queue).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "load/request_record.hpp"

namespace coldbench::load {

class SliceRecorder {
 public:
  using Emit = std::function<void(RunRecord)>;
  // Slices of `slice_ns` from `start_ns` (the schedule's time 0); `command` names the runs.
  SliceRecorder(std::string command, int64_t start_ns, int64_t measure_start_ns, int64_t slice_ns,
                Emit emit)
      : command_(std::move(command)),
        start_ns_(start_ns),
        measure_start_ns_(measure_start_ns),
        slice_ns_(slice_ns),
        emit_(std::move(emit)) {}

  void add(const RequestRecord& record);
  // Emits every slice that ends at or before `settled_before_ns`: no request
  // intended in it is still open.
  void settle(int64_t settled_before_ns);
  // Emits what is left (the end of the session, or an interrupt: partial slices say so).
  void flush(bool interrupted);

  int emitted() const { return measured_index_ + warmup_index_; }

 private:
  struct Slice {
    std::vector<double> latency_ms, service_ms;
    int64_t requests = 0, errors = 0, ok = 0;
    int64_t first_intended = 0;
  };
  void emit(int64_t index, Slice& slice, bool partial);

  std::string command_;
  int64_t start_ns_, measure_start_ns_, slice_ns_;
  Emit emit_;
  std::map<int64_t, Slice> open_;  // by slice index since start
  int measured_index_ = 0, warmup_index_ = 0, sequence_ = 0;
};

// The slice a request belongs to: by intended time, with warmup slices ending
// where the measured window starts (a slice never mixes the two).
int64_t slice_index(int64_t intended_ns, int64_t start_ns, int64_t measure_start_ns,
                    int64_t slice_ns);

}  // namespace coldbench::load
