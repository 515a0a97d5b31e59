#pragma once
// `--runs auto`: how many runs a session makes, decided while it runs.
// docs/statistics.md, "Adaptive stopping", says why each rule is what it is.
//
// Runs go in rounds (one measured run of every command still running, in
// the session's order), and after each round the stopper looks at the wall
// times so far:
//   Precision   (one command, or each config of a sweep): a command stops
//               once its median's confidence interval, at the requested level,
//               is within +-target_ci of the median;
//   Comparison  (`run` with several commands): every command runs until the
//               wall-time comparisons against the first are all conclusive
//               (faster, slower or equivalent) at the look's alpha, an
//               alpha-spending share of the policy's alpha (stats/sequential.hpp),
//               so the false-alarm rate stays at alpha despite a look per round.
// Either way a command stops at max_runs, at max_time for the whole session,
// or when its first min_runs runs all failed.

#include <cstddef>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/record.hpp"
#include "stats/policy.hpp"

namespace coldbench::bench {

struct AdaptiveOptions {
  double target_ci = 0.02;  // relative half-width of the median's interval (0.02 = +-2%)
  int min_runs = 5;
  int max_runs = 100;
  std::optional<double> max_time_s;  // measured from the first run of the session
  stats::ComparisonPolicy policy;  // interval level; the comparisons' threshold, alpha, correction
};

// The settings as a user gives them (`run`'s options or an experiment's
// [experiment] keys); empty or unset means the default.
struct AdaptiveSettings {
  std::string target_ci;  // a percentage: "2%" (or "2")
  std::optional<int64_t> min_runs, max_runs;
  std::string max_time;  // a duration: "10m", "90s", "30"
};

// The one parser and check of those for `run` and experiment files; `cli`
// picks the names errors use (--min-runs or min_runs). Options built any
// other way are the caller's to keep in range.
Expected<AdaptiveOptions> make_adaptive_options(const AdaptiveSettings& settings, bool cli);

enum class StopRule { Precision, Comparison };
std::string_view to_string(StopRule rule);

enum class StopReason {
  Running,
  TargetReached,
  Conclusive,
  MaxRuns,
  MaxTime,
  Failing,
  Interrupted
};
// "running", "target-ci", "conclusive", "max-runs", "max-time", "failing", "interrupted"
std::string_view to_string(StopReason reason);
// In words, for the console: "median known to +-1.8% (target 2%)".
std::string describe_stop(StopReason reason);

// The comparison rule's question, asked at each look: are the comparisons
// conclusive when decided at `alpha`? The caller answers it with the same
// code that decides the verdicts it reports (analysis::summarize_session for
// `run`), so the session stops exactly when its printed verdicts are conclusive.
using ConclusiveAt = std::function<bool(double alpha)>;

class AdaptiveStopper {
 public:
  // `conclusive_at` is needed by the comparison rule only.
  AdaptiveStopper(AdaptiveOptions options, StopRule rule, std::size_t commands,
                  ConclusiveAt conclusive_at = {});

  // The comparison rule's looks: one per round from min_runs to max_runs.
  int max_looks() const { return options_.max_runs - options_.min_runs + 1; }

  // Every measured run, in the order they end (resumed runs too).
  void record(const RunRecord& run);
  // After a round: decides which commands stop. `elapsed_s`: since the session's first run.
  void evaluate(double elapsed_s);
  // Marks every running command as stopped by an interruption.
  void interrupt();

  bool running(std::size_t command) const {
    return states_.at(command).reason == StopReason::Running;
  }
  bool finished() const;
  int attempts(std::size_t command) const { return states_.at(command).attempts; }
  StopRule rule() const { return rule_; }
  // The comparison rule's alpha at the look the session stopped at (the
  // level its verdicts are decided at); nullopt for the precision rule or
  // before the first look.
  std::optional<double> decision_alpha() const { return decision_alpha_; }

  // The document's "adaptive" object (docs/result-schema.md).
  nlohmann::json to_json(const std::vector<CommandSpec>& commands) const;

 private:
  struct CommandState {
    int attempts = 0;
    std::vector<double> wall;  // successful measured runs
    StopReason reason = StopReason::Running;
    double half_width = std::numeric_limits<double>::quiet_NaN();
  };
  void update_precision(CommandState& state) const;
  void evaluate_precision();
  void evaluate_comparison();

  AdaptiveOptions options_;
  StopRule rule_;
  std::vector<CommandState> states_;
  int look_ = 0;  // comparison rule: the last look taken
  std::optional<double> decision_alpha_;
  ConclusiveAt conclusive_at_;
};

}  // namespace coldbench::bench
