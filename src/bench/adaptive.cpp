#include "bench/adaptive.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "bench/schedule.hpp"
#include "core/json_text.hpp"
#include "core/units.hpp"
#include "stats/order_statistics.hpp"
#include "stats/sequential.hpp"

namespace coldbench::bench {

namespace {

// An option as the user wrote it: `--min-runs` on the command line, `min_runs` in a file.
std::string option_name(bool cli, std::string_view flag, std::string_view key) {
  return std::string(cli ? flag : key);
}

Expected<void> check_adaptive_options(const AdaptiveOptions& options, bool cli) {
  if (!std::isfinite(options.target_ci) || options.target_ci <= 0 || options.target_ci >= 1) {
    return make_error("{} {:g}%: give a half-width above 0% and below 100%, e.g. 2%",
                      option_name(cli, "--target-ci", "target_ci ="), options.target_ci * 100);
  }
  if (options.min_runs < 2 || options.min_runs > kMaxRunsPerCommand) {
    return make_error("{} {}: give 2 to {} runs (an interval needs at least 2)",
                      option_name(cli, "--min-runs", "min_runs ="), options.min_runs,
                      kMaxRunsPerCommand);
  }
  if (options.max_runs < options.min_runs || options.max_runs > kMaxRunsPerCommand) {
    return make_error("{} {}: give {} ({}) to {} runs",
                      option_name(cli, "--max-runs", "max_runs ="), options.max_runs,
                      options.min_runs, option_name(cli, "--min-runs", "min_runs"),
                      kMaxRunsPerCommand);
  }
  return {};
}

}  // namespace

Expected<AdaptiveOptions> make_adaptive_options(const AdaptiveSettings& settings, bool cli) {
  AdaptiveOptions options;
  if (!settings.target_ci.empty()) {
    auto parsed = parse_percentage(settings.target_ci);
    if (!parsed) {
      return parsed.error().with_context(option_name(cli, "--target-ci", "target_ci"));
    }
    options.target_ci = *parsed;
  }
  // Counts beyond an int are refused here, before they are narrowed.
  auto take = [&](const std::optional<int64_t>& value, int& target, std::string_view flag,
                  std::string_view key) -> Expected<void> {
    if (!value) return {};
    if (*value < 0 || *value > kMaxRunsPerCommand) {
      return make_error("{} {}: give 2 to {} runs", option_name(cli, flag, key), *value,
                        kMaxRunsPerCommand);
    }
    target = static_cast<int>(*value);
    return {};
  };
  if (auto taken = take(settings.min_runs, options.min_runs, "--min-runs", "min_runs ="); !taken) {
    return taken.error();
  }
  if (auto taken = take(settings.max_runs, options.max_runs, "--max-runs", "max_runs ="); !taken) {
    return taken.error();
  }
  if (!settings.max_time.empty()) {
    // parse_duration_seconds refuses zero and negative durations.
    auto parsed = parse_duration_seconds(settings.max_time);
    if (!parsed) {
      return parsed.error().with_context(option_name(cli, "--max-time", "max_time"));
    }
    options.max_time_s = *parsed;
  }
  if (auto checked = check_adaptive_options(options, cli); !checked) return checked.error();
  return options;
}

std::string_view to_string(StopRule rule) {
  return rule == StopRule::Precision ? "precision" : "comparison";
}

std::string_view to_string(StopReason reason) {
  switch (reason) {
    case StopReason::Running:
      return "running";
    case StopReason::TargetReached:
      return "target-ci";
    case StopReason::Conclusive:
      return "conclusive";
    case StopReason::MaxRuns:
      return "max-runs";
    case StopReason::MaxTime:
      return "max-time";
    case StopReason::Failing:
      return "failing";
    case StopReason::Interrupted:
      return "interrupted";
  }
  return "running";
}

std::string describe_stop(StopReason reason) {
  switch (reason) {
    case StopReason::Running:
      return "still running";
    case StopReason::TargetReached:
      return "the median's interval reached the target half-width";
    case StopReason::Conclusive:
      return "every comparison reached a verdict";
    case StopReason::MaxRuns:
      return "reached --max-runs before the target";
    case StopReason::MaxTime:
      return "reached --max-time before the target";
    case StopReason::Failing:
      return "its first runs all failed";
    case StopReason::Interrupted:
      return "interrupted";
  }
  return "";
}

AdaptiveStopper::AdaptiveStopper(AdaptiveOptions options, StopRule rule, std::size_t commands,
                                 ConclusiveAt conclusive_at)
    : options_(std::move(options)),
      rule_(rule),
      states_(commands),
      conclusive_at_(std::move(conclusive_at)) {
  // One command has nothing to compare with; without the question there is no comparison rule.
  if (commands < 2 || !conclusive_at_) rule_ = StopRule::Precision;
}

void AdaptiveStopper::record(const RunRecord& run) {
  if (run.warmup || run.command_index < 0 || std::size_t(run.command_index) >= states_.size())
    return;
  CommandState& state = states_[run.command_index];
  ++state.attempts;
  if (run.succeeded() && std::isfinite(run.wall_ms)) state.wall.push_back(run.wall_ms);
}

bool AdaptiveStopper::finished() const {
  return std::none_of(states_.begin(), states_.end(),
                      [](const CommandState& s) { return s.reason == StopReason::Running; });
}

void AdaptiveStopper::interrupt() {
  for (auto& state : states_) {
    if (state.reason == StopReason::Running) state.reason = StopReason::Interrupted;
  }
}

void AdaptiveStopper::update_precision(CommandState& state) const {
  if (state.wall.size() < 2) return;
  std::vector<double> sorted = state.wall;
  std::sort(sorted.begin(), sorted.end());
  const stats::Interval ci =
      stats::quantile_ci_sorted(sorted, 0.5, options_.policy.level, stats::ShortLevel::None);
  state.half_width = ci.reached()
                         ? stats::relative_half_width(ci, stats::quantile_sorted(sorted, 0.5))
                         : std::numeric_limits<double>::quiet_NaN();
}

void AdaptiveStopper::evaluate(double elapsed_s) {
  for (auto& state : states_) {
    if (state.reason == StopReason::Running) update_precision(state);
  }
  if (rule_ == StopRule::Precision) {
    evaluate_precision();
  } else {
    evaluate_comparison();
  }
  if (options_.max_time_s && elapsed_s >= *options_.max_time_s) {
    for (auto& state : states_) {
      if (state.reason == StopReason::Running) state.reason = StopReason::MaxTime;
    }
  }
}

void AdaptiveStopper::evaluate_precision() {
  for (auto& state : states_) {
    if (state.reason != StopReason::Running || state.attempts < options_.min_runs) continue;
    if (state.wall.empty()) {
      state.reason = StopReason::Failing;
    } else if (std::isfinite(state.half_width) && state.half_width <= options_.target_ci) {
      state.reason = StopReason::TargetReached;
    } else if (state.attempts >= options_.max_runs) {
      state.reason = StopReason::MaxRuns;
    }
  }
}

void AdaptiveStopper::evaluate_comparison() {
  // Looks happen only between whole rounds: every command has the same runs.
  const int round = states_.front().attempts;
  for (const auto& state : states_) {
    if (state.reason != StopReason::Running || state.attempts != round) return;
  }
  if (round < options_.min_runs) return;
  for (const auto& state : states_) {
    if (state.wall.empty()) {  // nothing to compare with, ever: stop them all
      for (auto& s : states_) s.reason = StopReason::Failing;
      return;
    }
  }
  look_ = std::min(round - options_.min_runs + 1, max_looks());
  decision_alpha_ = stats::look_alpha(options_.policy.alpha, look_, max_looks());
  const bool all_conclusive = conclusive_at_(*decision_alpha_);
  StopReason reason = StopReason::Running;
  if (all_conclusive) {
    reason = StopReason::Conclusive;
  } else if (round >= options_.max_runs) {
    reason = StopReason::MaxRuns;
  }
  if (reason == StopReason::Running) return;
  for (auto& state : states_) state.reason = reason;
}

nlohmann::json AdaptiveStopper::to_json(const std::vector<CommandSpec>& commands) const {
  nlohmann::json per_command = nlohmann::json::array();
  for (std::size_t k = 0; k < states_.size(); ++k) {
    const CommandState& state = states_[k];
    per_command.push_back({{"name", k < commands.size() ? commands[k].name : std::string()},
                           {"runs", state.attempts},
                           {"successful_runs", state.wall.size()},
                           {"stopped", to_string(state.reason)},
                           {"median_ci_half_width", finite_or_null(state.half_width)}});
  }
  nlohmann::json j{
      {"rule", to_string(rule_)},
      {"target_ci", options_.target_ci},
      {"min_runs", options_.min_runs},
      {"max_runs", options_.max_runs},
      {"max_time_s", options_.max_time_s ? nlohmann::json(*options_.max_time_s) : nlohmann::json()},
      {"level", options_.policy.level},
      {"commands", per_command}};
  if (rule_ == StopRule::Comparison) {
    j["sequential"] = {
        {"design", "alpha spending, Lan-DeMets Pocock-type, one look per round, union bound"},
        {"alpha", options_.policy.alpha},
        {"looks", look_},
        {"max_looks", max_looks()},
        {"decision_alpha", decision_alpha_ ? nlohmann::json(*decision_alpha_) : nlohmann::json()}};
  }
  return j;
}

}  // namespace coldbench::bench
