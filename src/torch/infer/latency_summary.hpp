#pragma once
// Summary of one latency distribution as the infer table prints it, with
// coldbench's one quantile definition (core/quantile.hpp, type 7).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

namespace coldbench::workload {

struct LatencySummary {
  std::size_t n = 0;
  double min = 0, max = 0, mean = 0, sd = 0;
  double p50 = 0, p90 = 0, p95 = 0, p99 = 0;
  double total_ms = 0;
};

LatencySummary summarize_latencies(std::span<const double> latencies_ms);

// {"n", "min", "max", "mean", "sd", "p50", "p90", "p95", "p99"} in ms; {"n": 0} when empty.
nlohmann::json latency_summary_json(const LatencySummary& summary);

// Samples per second over the measured loop: batch * iterations / total time.
double throughput_per_s(const LatencySummary& summary, int64_t batch_size);

}  // namespace coldbench::workload
