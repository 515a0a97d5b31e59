#pragma once
// The A/B verdict of a load session against `coldbench-torch serve --ab`
// (docs/load.md, "A/B sessions"): each answer's arm comes from its
// X-Coldbench-Arm header; the latencies (from the intended send time) of the
// 2xx answers of each arm are compared, B against A, with the project's
// comparison statistics (stats/comparison.hpp), the same as serve's /v1/ab.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <vector>

#include "load/load_summary.hpp"
#include "load/request_record.hpp"
#include "stats/comparison.hpp"
#include "stats/policy.hpp"

namespace coldbench::load {

struct ArmSummary {
  int64_t answered = 0;                   // measured answers that named this arm
  int64_t ok = 0;                         // of them 2xx
  int64_t server_errors = 0;              // 5xx
  std::vector<QuantileEstimate> latency;  // of the 2xx answers
};

struct AbSummary {
  ArmSummary a, b;
  stats::ComparisonPolicy policy;
  stats::Comparison comparison;  // B (candidate) against A (baseline), latency in ms
};

// nullopt when no measured answer named an arm (not an A/B server).
std::optional<AbSummary> summarize_ab(std::span<const RequestRecord> records,
                                      const stats::ComparisonPolicy& policy);

nlohmann::json to_json(const AbSummary& summary);

}  // namespace coldbench::load
