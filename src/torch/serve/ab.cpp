#include "torch/serve/ab.hpp"

#include <chrono>
#include <vector>

#include "stats/comparison_json.hpp"
#include "torch/serve/structured_log.hpp"

namespace coldbench::workload::serve {
namespace {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

size_t index_of(Arm arm) {
  return arm == Arm::kB ? 1 : 0;
}

}  // namespace

AbExperiment::AbExperiment(AbOptions options, metrics::Registry& registry,
                           std::vector<double> buckets, EventSink log, Clock clock)
    : options_(std::move(options)),
      log_(std::move(log)),
      clock_(clock ? std::move(clock) : Clock(steady_seconds)) {
  requests_ = &registry.counter(
      "ab_requests_total",
      "Predict requests of the A/B experiment, by arm, serving model and outcome (ok, error: 5xx).",
      {"arm", "model", "outcome"});
  latency_ = &registry.histogram("ab_inference_latency_seconds",
                                 "Forward-pass latency of the A/B experiment's arms in seconds.",
                                 {"arm", "model"}, std::move(buckets));
  for (Arm arm : {Arm::kA, Arm::kB}) {
    const std::string name(arm_name(arm));
    for (const char* outcome : {"ok", "error"}) requests_->with({name, model_of(arm), outcome});
    latency_->with({name, model_of(arm)});
  }
  if (options_.canary) {
    canary_stage_ = &registry
                         .gauge("canary_stage",
                                "Percent of the A/B experiment's traffic the canary sends to B "
                                "now (0 after a rollback, 100 once promoted).",
                                {})
                         .with({});
    canary_rollbacks_ =
        &registry.counter("canary_rollbacks_total", "Canary rollbacks of B to 0% of traffic.", {})
             .with({});
    canary_ = std::make_unique<CanaryController>(*options_.canary, clock_());
    canary_stage_->set(canary_->percent());
  }
}

double AbExperiment::b_fraction() const {
  return canary_ ? canary_->b_fraction() : options_.ratio;
}

std::optional<Arm> AbExperiment::route(std::string_view model, std::string_view request_id) const {
  if (model != options_.a) return std::nullopt;
  return route_request(request_id, b_fraction());
}

void AbExperiment::start() {
  if (canary_) log_change(canary_->started());
}

void AbExperiment::log_change(const CanaryChange& change) {
  if (canary_stage_) canary_stage_->set(change.to_percent);
  if (change.event == "canary_rolled_back" && canary_rollbacks_) canary_rollbacks_->add();
  if (!log_) return;
  LogEvent event = log_event(change.event, std::chrono::system_clock::now());
  event["from_percent"] = change.from_percent;
  event["to_percent"] = change.to_percent;
  event["model_a"] = options_.a;
  event["model_b"] = options_.b;
  if (!change.decided_by.empty()) event["decided_by"] = change.decided_by;
  event["reason"] = change.reason;
  if (!change.evidence.is_null()) event["evidence"] = change.evidence;
  log_(event);
}

void AbExperiment::observe(const RequestRecord& record) {
  if (record.arm.empty()) return;
  const Arm arm = record.arm == "B" ? Arm::kB : Arm::kA;
  const bool server_error = record.status >= 500;
  const bool client_error = !server_error && !record.error_type.empty();
  if (client_error) return;  // a bad request says nothing about the arm
  requests_->with({std::string(arm_name(arm)), record.model, server_error ? "error" : "ok"}).add();
  std::optional<double> latency;
  if (record.inference_ran && !server_error) {
    latency = record.inference_ms;
    latency_->with({std::string(arm_name(arm)), record.model})
        .observe(record.inference_ms / 1000.0);
  }
  {
    std::lock_guard lock(mutex_);
    ArmCounts& counts = arms_[index_of(arm)];
    ++counts.requests;
    if (server_error) ++counts.errors;
    if (latency) {
      counts.latencies_ms.push_back(*latency);
      if (counts.latencies_ms.size() > options_.window) counts.latencies_ms.pop_front();
    }
  }
  if (canary_) {
    if (auto change = canary_->observe(arm == Arm::kB, server_error, latency, clock_()))
      log_change(*change);
  }
}

stats::Comparison AbExperiment::comparison() const {
  std::vector<double> a, b;
  {
    std::lock_guard lock(mutex_);
    a.assign(arms_[0].latencies_ms.begin(), arms_[0].latencies_ms.end());
    b.assign(arms_[1].latencies_ms.begin(), arms_[1].latencies_ms.end());
  }
  stats::ComparisonPolicy policy;
  policy.threshold = options_.threshold;
  policy.alpha = options_.alpha;
  return stats::compare_samples(a, b, policy);
}

nlohmann::ordered_json AbExperiment::status() const {
  const stats::Comparison comparison = this->comparison();
  nlohmann::ordered_json arms;
  {
    std::lock_guard lock(mutex_);
    for (Arm arm : {Arm::kA, Arm::kB}) {
      const ArmCounts& counts = arms_[index_of(arm)];
      arms[std::string(arm_name(arm))] = {{"model", model_of(arm)},
                                          {"requests", counts.requests},
                                          {"errors", counts.errors},
                                          {"latencies_kept", counts.latencies_ms.size()}};
    }
  }
  nlohmann::ordered_json out{
      {"arms", arms},
      {"b_fraction", b_fraction()},
      {"routing", "FNV-1a 64 + fmix64 of X-Request-Id; B when its position in [0, 1) < b_fraction"},
      {"metric", "forward-pass latency (ms), latest per arm"},
      {"policy", {{"threshold", options_.threshold}, {"alpha", options_.alpha}}},
      {"verdict", std::string(stats::to_string(comparison.verdict))},
      {"summary", stats::comparison_headline(comparison, "forward pass")},
      {"comparison", stats::comparison_json(comparison)}};
  out["canary"] = canary_ ? canary_->status(clock_()) : nlohmann::ordered_json();
  return out;
}

}  // namespace coldbench::workload::serve
