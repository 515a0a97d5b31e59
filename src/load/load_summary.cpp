#include "load/load_summary.hpp"

#include <algorithm>

#include "core/json_text.hpp"
#include "core/quantile.hpp"
#include "stats/order_statistics.hpp"

namespace coldbench::load {

std::vector<double> sorted_latencies_ms(std::span<const RequestRecord> records, bool service) {
  std::vector<double> out;
  out.reserve(records.size());
  for (const auto& r : records) {
    if (r.warmup || !r.answered()) continue;
    out.push_back(static_cast<double>(service ? r.service_ns() : r.latency_ns()) / 1e6);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<QuantileEstimate> estimate_quantiles(std::span<const double> sorted_ms) {
  std::vector<QuantileEstimate> out;
  for (double p : kReportedQuantiles) {
    QuantileEstimate q;
    q.p = p;
    if (!sorted_ms.empty()) q.value_ms = quantile_sorted(sorted_ms, p);
    if (sorted_ms.size() >= 2) {
      q.ci = stats::quantile_ci_sorted(sorted_ms, p, stats::kDefaultLevel, stats::ShortLevel::None);
    } else {
      q.ci.n_needed = stats::min_n_for_quantile_ci(p, stats::kDefaultLevel);
    }
    out.push_back(q);
  }
  return out;
}

Counts count_requests(std::span<const RequestRecord> records, bool warmup) {
  Counts c;
  for (const auto& r : records) {
    if (r.warmup != warmup) continue;
    ++c.requests;
    switch (r.error) {
      case RequestError::None:
        ++c.answered;
        ++c.status_class[static_cast<std::size_t>(std::clamp(r.status / 100, 1, 5))];
        break;
      case RequestError::Connect:
        ++c.connect;
        break;
      case RequestError::Reset:
        ++c.reset;
        break;
      case RequestError::Timeout:
        ++c.timeout;
        break;
      case RequestError::Protocol:
        ++c.protocol;
        break;
    }
  }
  return c;
}

LoadSummary summarize_load(std::span<const RequestRecord> records, const LoadOutcome& outcome) {
  LoadSummary s;
  s.measured = count_requests(records, false);
  s.warmup = count_requests(records, true);
  s.window_s = static_cast<double>(outcome.schedule_end_ns - outcome.measure_start_ns) / 1e9;
  if (s.window_s > 0) s.offered_rate = static_cast<double>(outcome.scheduled) / s.window_s;
  const double answer_span_s =
      static_cast<double>(outcome.last_done_ns - outcome.measure_start_ns) / 1e9;
  if (answer_span_s > 0)
    s.achieved_rate = static_cast<double>(s.measured.status_class[2]) / answer_span_s;
  auto latency = sorted_latencies_ms(records, false);
  s.latency = estimate_quantiles(latency);
  s.service = estimate_quantiles(sorted_latencies_ms(records, true));
  if (!latency.empty()) s.max_latency_ms = latency.back();
  return s;
}

nlohmann::json quantiles_json(const std::vector<QuantileEstimate>& quantiles) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& q : quantiles) {
    nlohmann::json entry{{"p", q.p}, {"ms", finite_or_null(q.value_ms)}};
    if (q.ci.valid()) {
      entry["ci"] = {{"low_ms", q.ci.low}, {"high_ms", q.ci.high}, {"level", q.ci.level}};
    } else {
      entry["ci"] = nullptr;
      entry["n_needed"] = q.ci.n_needed;
    }
    out[q.p == 0.999 ? "p99.9" : "p" + std::to_string(static_cast<int>(q.p * 100 + 0.5))] = entry;
  }
  return out;
}

namespace {
nlohmann::json counts_json(const Counts& c) {
  return {{"requests", c.requests},
          {"answered", c.answered},
          {"status",
           {{"1xx", c.status_class[1]},
            {"2xx", c.status_class[2]},
            {"3xx", c.status_class[3]},
            {"4xx", c.status_class[4]},
            {"5xx", c.status_class[5]}}},
          {"errors",
           {{"connect", c.connect},
            {"reset", c.reset},
            {"timeout", c.timeout},
            {"protocol", c.protocol}}}};
}
}  // namespace

nlohmann::json to_json(const LoadSummary& s) {
  return {{"window_s", s.window_s},
          {"offered_rate", s.offered_rate},
          {"achieved_rate", s.achieved_rate},
          {"measured", counts_json(s.measured)},
          {"warmup", counts_json(s.warmup)},
          {"latency", quantiles_json(s.latency)},
          {"service_time", quantiles_json(s.service)},
          {"max_latency_ms", finite_or_null(s.max_latency_ms)}};
}

}  // namespace coldbench::load
