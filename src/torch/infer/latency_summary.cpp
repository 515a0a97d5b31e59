#include "torch/infer/latency_summary.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/quantile.hpp"

namespace coldbench::workload {

LatencySummary summarize_latencies(std::span<const double> latencies_ms) {
  LatencySummary summary;
  summary.n = latencies_ms.size();
  if (latencies_ms.empty()) return summary;
  std::vector<double> sorted(latencies_ms.begin(), latencies_ms.end());
  std::sort(sorted.begin(), sorted.end());
  summary.min = sorted.front();
  summary.max = sorted.back();
  summary.total_ms = std::accumulate(sorted.begin(), sorted.end(), 0.0);
  summary.mean = summary.total_ms / static_cast<double>(sorted.size());
  if (sorted.size() > 1) {
    double squares = 0;
    for (double value : sorted) squares += (value - summary.mean) * (value - summary.mean);
    summary.sd = std::sqrt(squares / static_cast<double>(sorted.size() - 1));
  }
  summary.p50 = quantile_sorted(sorted, 0.50);
  summary.p90 = quantile_sorted(sorted, 0.90);
  summary.p95 = quantile_sorted(sorted, 0.95);
  summary.p99 = quantile_sorted(sorted, 0.99);
  return summary;
}

double throughput_per_s(const LatencySummary& summary, int64_t batch_size) {
  if (summary.n == 0 || summary.total_ms <= 0) return 0;
  return static_cast<double>(batch_size) * static_cast<double>(summary.n) * 1000.0 /
         summary.total_ms;
}

nlohmann::json latency_summary_json(const LatencySummary& s) {
  if (s.n == 0) return {{"n", 0}};
  return {{"n", s.n},     {"min", s.min}, {"max", s.max}, {"mean", s.mean}, {"sd", s.sd},
          {"p50", s.p50}, {"p90", s.p90}, {"p95", s.p95}, {"p99", s.p99}};
}

}  // namespace coldbench::workload
