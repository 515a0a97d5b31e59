#include "load/peak_search.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace coldbench::load {

std::optional<double> PeakSearch::next_rate() const {
  return next_;
}

void PeakSearch::record(double rate, Verdict verdict) {
  ++steps_;
  if (verdict == Verdict::Pass) {
    if (!last_pass_ || rate > *last_pass_) last_pass_ = rate;
  } else {
    if (!first_fail_ || rate < *first_fail_) first_fail_ = rate;
  }
  next_.reset();
  if (!first_fail_) {  // growing: every step so far passed
    if (*last_pass_ >= rule_.max_rate) {
      stop_reason_ = fmt::format("rate limit ({:g}/s) reached without a failure", rule_.max_rate);
      return;
    }
    next_ = std::min(rule_.max_rate, *last_pass_ * rule_.growth);
  } else if (!last_pass_) {  // shrinking: nothing passed yet
    const double lower = *first_fail_ / rule_.growth;
    if (lower < rule_.min_rate) {
      stop_reason_ = fmt::format("no rate passed (down to {:g}/s)", *first_fail_);
      return;
    }
    next_ = lower;
  } else if (*first_fail_ / *last_pass_ - 1 <= rule_.tolerance) {
    stop_reason_ = "bracket within tolerance";
    return;
  } else {
    next_ = (*last_pass_ + *first_fail_) / 2;
  }
  if (steps_ >= rule_.max_steps) {
    next_.reset();
    stop_reason_ = last_pass_ ? "step limit" : "no rate passed (step limit)";
  }
}

std::string describe_rule(const PeakSearchRule& rule) {
  return fmt::format(
      "start at {:g}/s and multiply the rate by {:g} after every pass until a step fails (divide "
      "by {:g} while nothing has passed); then bisect between the last pass and the first failure "
      "until first failure / last pass - 1 <= {:g}; at most {} steps. A step passes when every "
      "SLO bound's 95% interval meets it, fails when one interval misses it entirely; "
      "inconclusive counts as a failure",
      rule.start_rate, rule.growth, rule.growth, rule.tolerance, rule.max_steps);
}

nlohmann::json to_json(const PeakSearch& search) {
  const PeakSearchRule& rule = search.rule();
  auto rate = [](const std::optional<double>& r) {
    return r ? nlohmann::json(*r) : nlohmann::json();
  };
  return {{"rule",
           {{"start_rate", rule.start_rate},
            {"growth", rule.growth},
            {"tolerance", rule.tolerance},
            {"max_steps", rule.max_steps},
            {"text", describe_rule(rule)}}},
          {"steps_run", search.steps()},
          {"peak_rate", rate(search.peak())},
          {"first_fail_rate", rate(search.first_fail())},
          {"stop_reason", search.stop_reason()}};
}

}  // namespace coldbench::load
