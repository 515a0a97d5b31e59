#include "torch/serve/canary.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "core/json_text.hpp"
#include "core/quantile.hpp"

namespace coldbench::workload::serve {

std::string_view to_string(CanaryState state) {
  switch (state) {
    case CanaryState::kPromoted:
      return "promoted";
    case CanaryState::kRolledBack:
      return "rolled_back";
    case CanaryState::kRamping:
      break;
  }
  return "ramping";
}

CanaryController::CanaryController(CanaryParams params, double now_s) : params_(std::move(params)) {
  enter(0, now_s);
}

void CanaryController::enter(size_t stage, double now_s) {
  stage_ = stage;
  percent_ = params_.stages.at(stage);
  fraction_.store(percent_ / 100.0, std::memory_order_relaxed);
  stage_start_s_ = now_s;
  stage_requests_ = 0;
  b_requests_ = b_errors_ = b_judged_ = b_slow_ = 0;
  b_pending_.clear();
  if (percent_ >= 100) state_ = CanaryState::kPromoted;
}

int CanaryController::percent() const {
  std::lock_guard lock(mutex_);
  return percent_;
}

CanaryState CanaryController::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

CanaryChange CanaryController::started() const {
  std::lock_guard lock(mutex_);
  CanaryChange change;
  change.event = "canary_started";
  change.from_percent = 0;
  change.to_percent = percent_;
  change.reason = fmt::format("stages {} % to B", fmt::join(params_.stages, ", "));
  return change;
}

// B latencies that came before A had a reference are judged once it has one.
void CanaryController::judge_pending() {
  if (reference_p99_ms_ <= 0 || b_pending_.empty()) return;
  const double bound = (1.0 + params_.p99_margin) * reference_p99_ms_;
  for (double latency : b_pending_) {
    ++b_judged_;
    if (latency > bound) ++b_slow_;
  }
  b_pending_.clear();
}

CanaryController::Tests CanaryController::evaluate() const {
  Tests tests;
  tests.latency_design = {0.01, 0.01 + params_.h1_excess, params_.alpha, params_.beta};
  const double a_error_rate =
      a_requests_ > 0 ? static_cast<double>(a_errors_) / static_cast<double>(a_requests_) : 0.0;
  const double p0 = std::min(a_error_rate + params_.error_margin, 0.5);
  tests.errors_design = {p0, std::min(p0 + params_.h1_excess, 0.99), params_.alpha, params_.beta};
  tests.latency = stats::sprt_evaluate(b_slow_, b_judged_, tests.latency_design);
  tests.errors = stats::sprt_evaluate(b_errors_, b_requests_, tests.errors_design);
  tests.reference_p99_ms = reference_p99_ms_;
  tests.bound_ms = (1.0 + params_.p99_margin) * reference_p99_ms_;
  return tests;
}

nlohmann::ordered_json CanaryController::evidence(const Tests& t, double now_s) const {
  auto test_json = [](const stats::SprtState& s, const stats::SprtDesign& d) {
    const stats::SprtBounds bounds = stats::sprt_bounds(d.alpha, d.beta);
    return nlohmann::ordered_json{{"bad", s.events},
                                  {"judged", s.trials},
                                  {"llr", s.llr},
                                  {"lower", bounds.lower},
                                  {"upper", bounds.upper},
                                  {"p0", d.p0},
                                  {"p1", d.p1},
                                  {"decision", std::string(stats::to_string(s.decision))}};
  };
  nlohmann::ordered_json latency = test_json(t.latency, t.latency_design);
  latency["reference_p99_ms"] = finite_or_null(t.reference_p99_ms > 0 ? t.reference_p99_ms : NAN);
  latency["bound_ms"] = finite_or_null(t.bound_ms > 0 ? t.bound_ms : NAN);
  latency["pending"] = b_pending_.size();
  return {{"stage_requests", stage_requests_},
          {"stage_seconds", now_s - stage_start_s_},
          {"b_requests", b_requests_},
          {"a_requests_total", a_requests_},
          {"latency", latency},
          {"errors", test_json(t.errors, t.errors_design)}};
}

std::optional<CanaryChange> CanaryController::observe(bool arm_b, bool server_error,
                                                      std::optional<double> latency_ms,
                                                      double now_s) {
  std::lock_guard lock(mutex_);
  if (state_ != CanaryState::kRamping) return std::nullopt;
  ++stage_requests_;
  if (arm_b) {
    ++b_requests_;
    if (server_error) ++b_errors_;
    if (latency_ms) b_pending_.push_back(*latency_ms);
  } else {
    ++a_requests_;
    if (server_error) ++a_errors_;
    if (latency_ms) {
      a_latencies_.push_back(*latency_ms);
      if (a_latencies_.size() > params_.reference_window) a_latencies_.pop_front();
      if (static_cast<int64_t>(a_latencies_.size()) >= params_.min_reference) {
        std::vector<double> sorted(a_latencies_.begin(), a_latencies_.end());
        std::sort(sorted.begin(), sorted.end());
        reference_p99_ms_ = quantile_sorted(sorted, 0.99);
      }
    }
  }
  judge_pending();
  return step(now_s);
}

std::optional<CanaryChange> CanaryController::step(double now_s) {
  const Tests tests = evaluate();
  const bool worse = tests.latency.decision == stats::SprtDecision::AcceptH1 ||
                     tests.errors.decision == stats::SprtDecision::AcceptH1;
  const bool fine = tests.latency.decision == stats::SprtDecision::AcceptH0 &&
                    tests.errors.decision == stats::SprtDecision::AcceptH0;
  const bool at_limit =
      (params_.stage_requests > 0 && stage_requests_ >= params_.stage_requests) ||
      (params_.stage_seconds > 0 && now_s - stage_start_s_ >= params_.stage_seconds);
  if (!worse && !fine && !at_limit) return std::nullopt;

  CanaryChange change;
  change.from_percent = percent_;
  change.evidence = evidence(tests, now_s);
  if (worse) {
    change.event = "canary_rolled_back";
    change.to_percent = 0;
    change.decided_by = "sequential_test";
    change.reason =
        tests.latency.decision == stats::SprtDecision::AcceptH1
            ? fmt::format("B latency: {} of {} forward passes above {:.3f} ms ({:g} x A's p99)",
                          tests.latency.events, tests.latency.trials, tests.bound_ms,
                          1.0 + params_.p99_margin)
            : fmt::format("B errors: {} of {} requests failed (A's rate + margin: {:.3f})",
                          tests.errors.events, tests.errors.trials, tests.errors_design.p0);
    state_ = CanaryState::kRolledBack;
    percent_ = 0;
    fraction_.store(0.0, std::memory_order_relaxed);
    return change;
  }
  change.decided_by = fine ? "sequential_test" : "limit";
  change.reason = fine ? "B not worse in p99 latency and error rate"
                       : fmt::format("stage limit ({} requests, {:.1f} s) with B not shown worse",
                                     stage_requests_, now_s - stage_start_s_);
  enter(stage_ + 1, now_s);
  change.to_percent = percent_;
  change.event = state_ == CanaryState::kPromoted ? "canary_promoted" : "canary_stage";
  return change;
}

nlohmann::ordered_json CanaryController::status(double now_s) const {
  std::lock_guard lock(mutex_);
  nlohmann::ordered_json stages = nlohmann::ordered_json::array();
  for (int stage : params_.stages) stages.push_back(stage);
  nlohmann::ordered_json out{{"state", std::string(to_string(state_))},
                             {"percent", percent_},
                             {"stage", state_ == CanaryState::kRolledBack ? 0 : stage_ + 1},
                             {"stages", stages},
                             {"p99_margin", params_.p99_margin},
                             {"error_margin", params_.error_margin}};
  if (state_ == CanaryState::kRamping) out["current"] = evidence(evaluate(), now_s);
  return out;
}

}  // namespace coldbench::workload::serve
