#pragma once
// Memory-leak watch for `coldbench-torch serve` (docs/serve.md): resident
// memory sampled over time, a least-squares slope over a sliding window, and
// an alert only when the growth is sustained across the whole window, so a
// one-off step (a new model, an allocator arena) is not called a leak. Pure:
// the caller supplies the samples (serve/watch.cpp reads /proc on a thread).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "torch/serve/anomaly.hpp"  // Transition

namespace coldbench::workload::leak {

struct LeakParams {
  int sample_ms = 1000;                  // --leak-sample-ms
  double window_s = 300;                 // --leak-window-s
  double threshold_bytes_per_s = 65536;  // --leak-threshold
  int clear_after = 3;                   // samples below threshold / 2 in a row
};

struct Sample {
  double t_s = 0;  // any monotonic origin
  double rss_bytes = 0;
};

struct LineFit {
  double slope = 0;  // bytes per second
  double intercept = 0;
  double r2 = 0;  // 1 for a perfect line; 0 when the samples do not vary
};
// Least squares over the samples; nullopt with fewer than 2 or no time spread.
std::optional<LineFit> fit_line(const std::deque<Sample>& samples);

// "Growth in every quarter": the window cut into four equal time spans, each
// span's mean RSS above the previous one's by at least a quarter of what the
// fitted slope predicts. A single step raises one quarter, not all three.
bool grows_in_every_quarter(const std::deque<Sample>& samples, double slope);

struct LeakState {
  bool ready = false;  // the window is (nearly) full: slope and verdict are meaningful
  size_t samples = 0;
  double span_s = 0;
  double slope = 0;  // 0 until ready
  double r2 = 0;
  bool growing = false;  // slope above threshold and growth in every quarter
  bool active = false;
};

class LeakJudge {
 public:
  explicit LeakJudge(LeakParams params);
  anomaly::Transition add(Sample sample);
  const LeakState& state() const { return state_; }
  int64_t alerts() const { return alerts_; }
  const std::deque<Sample>& window() const { return window_; }

 private:
  LeakParams params_;
  std::deque<Sample> window_;
  LeakState state_;
  int quiet_run_ = 0;
  int64_t alerts_ = 0;
};

}  // namespace coldbench::workload::leak
