#pragma once
// A load session's numbers, computed once from its request records: offered
// and achieved rate, latency and service-time quantiles with distribution-free
// intervals (stats/order_statistics.hpp), responses by status class and errors
// by kind. The CLI formats these; nothing here prints.

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "load/load_engine.hpp"
#include "load/request_record.hpp"
#include "stats/descriptive.hpp"

namespace coldbench::load {

inline constexpr std::array<double, 4> kReportedQuantiles = {0.50, 0.90, 0.99, 0.999};

struct QuantileEstimate {
  double p = 0;
  double value_ms = stats::kNaN;
  stats::Interval ci;  // 95%; absent (n_needed set) where the sample is too small for this quantile
};

struct Counts {
  int64_t requests = 0;                   // recorded (finished)
  int64_t answered = 0;                   // any HTTP status
  std::array<int64_t, 6> status_class{};  // [1..5]: 1xx..5xx
  int64_t connect = 0, reset = 0, timeout = 0, protocol = 0;
  int64_t errors() const { return connect + reset + timeout + protocol; }
};

struct LoadSummary {
  Counts measured;
  Counts warmup;
  double window_s = 0;  // the measured window as scheduled
  double offered_rate =
      0;  // measured requests scheduled / window (open loop; closed loop: sent / window)
  double achieved_rate = 0;               // 2xx answers / (last measured answer - window start)
  std::vector<QuantileEstimate> latency;  // from the intended send time; answered requests only
  std::vector<QuantileEstimate> service;  // from the actual send
  double max_latency_ms = stats::kNaN;
};

// The per-request latencies (ms) of answered, measured requests, sorted.
std::vector<double> sorted_latencies_ms(std::span<const RequestRecord> records, bool service);
std::vector<QuantileEstimate> estimate_quantiles(std::span<const double> sorted_ms);
Counts count_requests(std::span<const RequestRecord> records, bool warmup);

LoadSummary summarize_load(std::span<const RequestRecord> records, const LoadOutcome& outcome);

nlohmann::json to_json(const LoadSummary& summary);
// {"p50": {"p", "ms", "ci"}, ...}
nlohmann::json quantiles_json(const std::vector<QuantileEstimate>& quantiles);

}  // namespace coldbench::load
