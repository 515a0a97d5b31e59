#pragma once
// Summary of one latency distribution as the infer table prints it. The
// quantile definition is coldbench's one (src/stats/descriptive.hpp):
// Hyndman & Fan type 7, linear interpolation between order statistics.
// Computed here so coldbench-torch does not link the harness library.

#include <cstdint>
#include <span>
#include <vector>

namespace coldbench::workload {

struct LatencySummary {
  std::size_t n = 0;
  double min = 0, max = 0, mean = 0, sd = 0;
  double p50 = 0, p90 = 0, p95 = 0, p99 = 0;
  double total_ms = 0;
};

// p in [0, 1] over an ascending, non-empty sample.
double quantile_type7(std::span<const double> sorted, double p);

LatencySummary summarize_latencies(std::span<const double> latencies_ms);

// Samples per second over the measured loop: batch * iterations / total time.
double throughput_per_s(const LatencySummary& summary, int64_t batch_size);

}  // namespace coldbench::workload
