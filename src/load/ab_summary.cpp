#include "load/ab_summary.hpp"

#include <algorithm>

#include "stats/comparison_json.hpp"

namespace coldbench::load {

std::optional<AbSummary> summarize_ab(std::span<const RequestRecord> records,
                                      const stats::ComparisonPolicy& policy) {
  AbSummary summary;
  summary.policy = policy;
  std::vector<double> latencies[2];
  bool any = false;
  for (const RequestRecord& r : records) {
    if (r.warmup || !r.answered() || (r.arm != 0 && r.arm != 1)) continue;
    any = true;
    ArmSummary& arm = r.arm == 1 ? summary.b : summary.a;
    ++arm.answered;
    if (r.status >= 500) ++arm.server_errors;
    if (r.status / 100 != 2) continue;
    ++arm.ok;
    latencies[r.arm].push_back(static_cast<double>(r.latency_ns()) / 1e6);
  }
  if (!any) return std::nullopt;
  summary.comparison = stats::compare_samples(latencies[0], latencies[1], policy);
  for (int arm = 0; arm < 2; ++arm) {
    std::sort(latencies[arm].begin(), latencies[arm].end());
    (arm == 1 ? summary.b : summary.a).latency = estimate_quantiles(latencies[arm]);
  }
  return summary;
}

nlohmann::json to_json(const AbSummary& s) {
  auto arm_json = [](const ArmSummary& arm) {
    return nlohmann::json{{"answered", arm.answered},
                          {"ok", arm.ok},
                          {"server_errors", arm.server_errors},
                          {"latency", quantiles_json(arm.latency)}};
  };
  return {{"arms", {{"A", arm_json(s.a)}, {"B", arm_json(s.b)}}},
          {"metric", "latency from the intended send time (ms), 2xx answers"},
          {"policy", {{"threshold", s.policy.threshold}, {"alpha", s.policy.alpha}}},
          {"verdict", std::string(stats::to_string(s.comparison.verdict))},
          {"summary", stats::comparison_headline(s.comparison, "latency")},
          {"comparison", stats::comparison_json(s.comparison)}};
}

}  // namespace coldbench::load
