#include "load/load_slices.hpp"

#include <algorithm>

#include "core/clock.hpp"

namespace coldbench::load {

int64_t slice_index(int64_t intended_ns, int64_t start_ns, int64_t measure_start_ns,
                    int64_t slice_ns) {
  // Warmup slices have negative indices counted back from the measured window's start.
  if (intended_ns < measure_start_ns) {
    return -1 - (measure_start_ns - 1 - std::max(intended_ns, start_ns)) / slice_ns;
  }
  return (intended_ns - measure_start_ns) / slice_ns;
}

void SliceRecorder::add(const RequestRecord& record) {
  const int64_t index = slice_index(record.intended_ns, start_ns_, measure_start_ns_, slice_ns_);
  Slice& slice = open_[index];
  if (slice.requests == 0) slice.first_intended = record.intended_ns;
  ++slice.requests;
  if (!record.answered()) {
    ++slice.errors;
    return;
  }
  if (record.status >= 200 && record.status < 300) ++slice.ok;
  slice.latency_ms.push_back(static_cast<double>(record.latency_ns()) / 1e6);
  slice.service_ms.push_back(static_cast<double>(record.service_ns()) / 1e6);
}

void SliceRecorder::settle(int64_t settled_before_ns) {
  while (!open_.empty()) {
    auto it = open_.begin();
    const int64_t end = measure_start_ns_ + (it->first + 1) * slice_ns_;
    if (end > settled_before_ns) return;
    emit(it->first, it->second, false);
    open_.erase(it);
  }
}

void SliceRecorder::flush(bool interrupted) {
  for (auto& [index, slice] : open_) emit(index, slice, interrupted);
  open_.clear();
}

void SliceRecorder::emit(int64_t index, Slice& slice, bool partial) {
  RunRecord run;
  run.command = command_;
  run.warmup = index < 0;
  run.index = run.warmup ? warmup_index_++ : measured_index_++;
  run.sequence = sequence_++;
  run.started_at = utc_timestamp();
  const int64_t begin = std::max(start_ns_, measure_start_ns_ + index * slice_ns_);
  const int64_t end = measure_start_ns_ + (index + 1) * slice_ns_;
  // The slice's scheduled span: what a run's wall time is for a load session.
  run.wall_ms = static_cast<double>(end - begin) / 1e6;
  run.metrics.push_back({"latency", "ms", std::move(slice.latency_ms)});
  run.metrics.push_back({"service_time", "ms", std::move(slice.service_ms)});
  run.metrics.push_back({"requests", "", {static_cast<double>(slice.requests)}});
  run.metrics.push_back({"errors", "", {static_cast<double>(slice.errors)}});
  run.metrics.push_back({"ok_rate",
                         "requests/s",
                         {static_cast<double>(slice.ok) * 1e9 / static_cast<double>(end - begin)}});
  run.info["load.slice_start_s"] = static_cast<double>(begin - start_ns_) / 1e9;
  if (partial)
    run.warnings.push_back(
        "interrupted: this slice holds only the requests finished before the interrupt");
  if (slice.errors > 0) {
    run.warnings.push_back(
        "requests failed without an HTTP response (connect, reset, timeout or protocol errors)");
  }
  emit_(std::move(run));
}

}  // namespace coldbench::load
