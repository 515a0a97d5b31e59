// The stopping rules of `--runs auto` (bench/adaptive.hpp) on seeded
// simulated runs: no processes, no timings.

#include "bench/adaptive.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "stats/comparison.hpp"
#include "stats/sequential.hpp"

namespace coldbench::bench {
namespace {

RunRecord measured(int command, double wall_ms, bool failed = false) {
  RunRecord run;
  run.command_index = command;
  run.wall_ms = wall_ms;
  if (failed) run.error = "exited with code 1";
  return run;
}

class Draws {
 public:
  explicit Draws(std::uint64_t seed) : engine_(seed) {}
  // Log-normal times around `median` with log-SD `sigma`.
  double time(double median, double sigma) { return median * std::exp(sigma * normal_(engine_)); }

 private:
  std::mt19937_64 engine_;
  std::normal_distribution<double> normal_;
};

// --- options ----------------------------------------------------------------

TEST(BenchAdaptiveOptions, DefaultsAreTwoPercentFiveToHundredRuns) {
  auto options = make_adaptive_options({}, true);
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_DOUBLE_EQ(options->target_ci, 0.02);
  EXPECT_EQ(options->min_runs, 5);
  EXPECT_EQ(options->max_runs, 100);
  EXPECT_FALSE(options->max_time_s);
}

TEST(BenchAdaptiveOptions, SettingsAreParsedAndBadOnesNamed) {
  auto options = make_adaptive_options({"1.5%", 3, 40, "2m"}, true);
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_DOUBLE_EQ(options->target_ci, 0.015);
  EXPECT_EQ(options->min_runs, 3);
  EXPECT_EQ(options->max_runs, 40);
  EXPECT_DOUBLE_EQ(*options->max_time_s, 120);

  auto ambiguous = make_adaptive_options({"0.02", {}, {}, ""}, true);
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.error().message.find("--target-ci"), std::string::npos)
      << ambiguous.error().message;
  auto zero = make_adaptive_options({"0%", {}, {}, ""}, false);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message.find("target_ci"), std::string::npos) << zero.error().message;
  auto one = make_adaptive_options({"", 1, {}, ""}, true);
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.error().message.find("--min-runs 1"), std::string::npos) << one.error().message;
  auto inverted = make_adaptive_options({"", 10, 5, ""}, true);
  ASSERT_FALSE(inverted.ok());
  EXPECT_NE(inverted.error().message.find("--max-runs 5"), std::string::npos)
      << inverted.error().message;
  auto huge = make_adaptive_options({"", {}, int64_t{1} << 40, ""}, true);
  ASSERT_FALSE(huge.ok());
  auto time = make_adaptive_options({"", {}, {}, "soon"}, true);
  ASSERT_FALSE(time.ok());
  EXPECT_NE(time.error().message.find("--max-time"), std::string::npos) << time.error().message;
}

// --- the precision rule -------------------------------------------------------

TEST(BenchAdaptiveStopper, QuietCommandStopsOnceItsMedianIsKnownToTheTarget) {
  AdaptiveOptions options;  // 2%, 5..100
  AdaptiveStopper stopper(options, StopRule::Precision, 1);
  Draws d(1);
  int runs = 0;
  while (stopper.running(0)) {
    stopper.record(measured(0, d.time(100, 0.01)));
    ++runs;
    stopper.evaluate(0);
  }
  // 1% log-SD: a 95% median interval is within 2% from the first n that has one (6).
  EXPECT_EQ(runs, 6);
  auto j = stopper.to_json({CommandSpec{"quiet", "", {}, false}});
  EXPECT_EQ(j["commands"][0]["stopped"], "target-ci");
  EXPECT_EQ(j["commands"][0]["runs"], 6);
  EXPECT_LE(j["commands"][0]["median_ci_half_width"].get<double>(), 0.02);
  EXPECT_EQ(j["rule"], "precision");
  EXPECT_FALSE(j.contains("sequential"));
}

TEST(BenchAdaptiveStopper, NoisyCommandRunsLongerAndStopsAtMaxRunsShortOfTheTarget) {
  AdaptiveOptions options;
  options.max_runs = 30;
  AdaptiveStopper moderate(options, StopRule::Precision, 1), wild(options, StopRule::Precision, 1);
  Draws d(2);
  int moderate_runs = 0, wild_runs = 0;
  while (moderate.running(0) || wild.running(0)) {
    if (moderate.running(0)) moderate.record(measured(0, d.time(100, 0.03))), ++moderate_runs;
    if (wild.running(0)) wild.record(measured(0, d.time(100, 0.5))), ++wild_runs;
    moderate.evaluate(0);
    wild.evaluate(0);
  }
  EXPECT_GT(moderate_runs, 6);  // 3% spread needs more than the first interval
  EXPECT_LT(moderate_runs, 30);
  EXPECT_EQ(wild_runs, 30);
  auto j = wild.to_json({CommandSpec{"wild", "", {}, false}});
  EXPECT_EQ(j["commands"][0]["stopped"], "max-runs");
  EXPECT_GT(j["commands"][0]["median_ci_half_width"].get<double>(), 0.02);
}

TEST(BenchAdaptiveStopper, EachCommandStopsOnItsOwn) {
  AdaptiveStopper stopper(AdaptiveOptions{}, StopRule::Precision, 2);
  Draws d(3);
  std::vector<int> runs(2, 0);
  while (!stopper.finished()) {
    for (int c = 0; c < 2; ++c) {
      if (!stopper.running(c)) continue;
      stopper.record(measured(c, d.time(100, c == 0 ? 0.01 : 0.05)));
      ++runs[c];
    }
    stopper.evaluate(0);
  }
  EXPECT_EQ(runs[0], 6);
  EXPECT_GT(runs[1], runs[0]);
}

TEST(BenchAdaptiveStopper, FailingCommandStopsAfterMinRunsAndMaxTimeStopsEveryone) {
  AdaptiveStopper failing(AdaptiveOptions{}, StopRule::Precision, 1);
  for (int k = 0; k < 5; ++k) {
    EXPECT_TRUE(failing.running(0));
    failing.record(measured(0, 10, /*failed=*/true));
    failing.evaluate(0);
  }
  EXPECT_FALSE(failing.running(0));
  EXPECT_EQ(failing.to_json({CommandSpec{"f", "", {}, false}})["commands"][0]["stopped"],
            "failing");

  AdaptiveOptions timed;
  timed.max_time_s = 10;
  AdaptiveStopper stopper(timed, StopRule::Precision, 2);
  stopper.record(measured(0, 10));
  stopper.evaluate(9.9);
  EXPECT_TRUE(stopper.running(0));
  stopper.evaluate(10.0);
  EXPECT_TRUE(stopper.finished());
  EXPECT_EQ(stopper.to_json({CommandSpec{"a", "", {}, false},
                             CommandSpec{"b", "", {}, false}})["commands"][1]["stopped"],
            "max-time");
}

TEST(BenchAdaptiveStopper, ResumedRunsCountAndWarmupsDoNot) {
  AdaptiveStopper stopper(AdaptiveOptions{}, StopRule::Precision, 1);
  RunRecord warmup = measured(0, 500);
  warmup.warmup = true;
  stopper.record(warmup);
  EXPECT_EQ(stopper.attempts(0), 0);
  for (int k = 0; k < 6; ++k) stopper.record(measured(0, 100 + 0.1 * k));
  stopper.evaluate(0);  // a resumed session that was already done
  EXPECT_FALSE(stopper.running(0));
}

// --- the comparison rule --------------------------------------------------------

// The question `run` asks at each look, answered here by the stats layer
// directly for wall times of command 0 against each other command.
ConclusiveAt conclusive_from(const std::vector<std::vector<double>>& samples,
                             stats::ComparisonPolicy policy,
                             std::vector<stats::Verdict>* verdicts = nullptr) {
  return [&samples, policy, verdicts](double alpha) {
    stats::ComparisonPolicy at = policy;
    at.alpha = alpha;
    std::vector<stats::Comparison> comparisons;
    for (std::size_t k = 1; k < samples.size(); ++k) {
      comparisons.push_back(stats::measure_comparison(samples[0], samples[k], at));
    }
    std::vector<stats::Comparison*> family;
    for (auto& c : comparisons) family.push_back(&c);
    stats::decide_verdicts(family, at);  // what decide_family decides, without the power model
    if (verdicts) {
      verdicts->clear();
      for (const auto& c : comparisons) verdicts->push_back(c.verdict);
    }
    return std::all_of(comparisons.begin(), comparisons.end(),
                       [](const stats::Comparison& c) { return stats::conclusive(c.verdict); });
  };
}

struct SessionResult {
  int rounds = 0;
  std::string stopped;
  std::vector<stats::Verdict> verdicts;  // at the look the session stopped
};

// One simulated `run --runs auto -c a -c b ...`: rounds of one run per command.
SessionResult simulate(Draws& d, const std::vector<double>& medians, double sigma,
                       const AdaptiveOptions& options) {
  std::vector<std::vector<double>> samples(medians.size());
  SessionResult result;
  AdaptiveStopper stopper(options, StopRule::Comparison, medians.size(),
                          conclusive_from(samples, options.policy, &result.verdicts));
  while (!stopper.finished()) {
    for (std::size_t c = 0; c < medians.size(); ++c) {
      samples[c].push_back(d.time(medians[c], sigma));
      stopper.record(measured(int(c), samples[c].back()));
    }
    ++result.rounds;
    stopper.evaluate(0);
  }
  std::vector<CommandSpec> names(medians.size());
  result.stopped = stopper.to_json(names)["commands"][0]["stopped"];
  return result;
}

TEST(BenchAdaptiveStopper, ClearDifferenceStopsEarlyWithTheVerdict) {
  AdaptiveOptions options;
  Draws d(4);
  const SessionResult result = simulate(d, {100, 150}, 0.03, options);
  EXPECT_EQ(result.stopped, "conclusive");
  EXPECT_LE(result.rounds, 10);
  ASSERT_EQ(result.verdicts.size(), 1u);
  EXPECT_EQ(result.verdicts[0], stats::Verdict::Slower);
}

TEST(BenchAdaptiveStopper, ComparisonLooksOnlyBetweenWholeRoundsAndSpendsAlphaPerLook) {
  AdaptiveOptions options;
  options.max_runs = 6;  // two looks: at 5 and at 6 runs
  std::vector<std::vector<double>> samples(2);
  std::vector<double> asked;
  AdaptiveStopper stopper(options, StopRule::Comparison, 2, [&](double alpha) {
    asked.push_back(alpha);
    return false;
  });
  for (int round = 0; round < 6; ++round) {
    stopper.record(measured(0, 100));
    stopper.evaluate(0);  // mid-round: no look
    stopper.record(measured(1, 100));
    stopper.evaluate(0);
  }
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_DOUBLE_EQ(asked[0], stats::look_alpha(0.05, 1, 2));
  EXPECT_DOUBLE_EQ(asked[1], stats::look_alpha(0.05, 2, 2));
  EXPECT_TRUE(stopper.finished());
  auto j = stopper.to_json({CommandSpec{"a", "", {}, false}, CommandSpec{"b", "", {}, false}});
  EXPECT_EQ(j["commands"][1]["stopped"], "max-runs");
  EXPECT_EQ(j["sequential"]["looks"], 2);
  EXPECT_EQ(j["sequential"]["max_looks"], 2);
  EXPECT_DOUBLE_EQ(j["sequential"]["decision_alpha"].get<double>(), asked[1]);
}

// The acceptance figure: the A/A false-alarm rate with adaptive stopping
// stays at or below alpha over 1000 simulated sessions. Two identical
// commands, log-SD 5%, looks from 5 to 30 runs; a false alarm is any
// "slower" or "faster" at the look the session stopped. Without alpha
// spending (every look at the full alpha) the same sessions alarm more often:
// the control that shows the simulation can see the problem.
TEST(BenchAdaptiveStopper, AaFalseAlarmRateWithLooksAfterEveryRoundIsAtMostAlpha) {
  constexpr int kSessions = 1000;
  AdaptiveOptions options;
  options.max_runs = 30;
  options.policy.threshold = 0.0;  // the rank test alone: the rule's worst case for false alarms
  Draws d(11);
  int alarms = 0, conclusive = 0;
  long rounds = 0;
  for (int s = 0; s < kSessions; ++s) {
    const SessionResult r = simulate(d, {100, 100}, 0.05, options);
    rounds += r.rounds;
    conclusive += r.stopped == "conclusive";
    alarms += std::any_of(r.verdicts.begin(), r.verdicts.end(), [](stats::Verdict v) {
      return v == stats::Verdict::Slower || v == stats::Verdict::Faster;
    });
  }
  // Naive: stop at the first look (5..30 runs) where the full-alpha test says slower or faster.
  Draws naive_draws(11);
  int naive_alarms = 0;
  for (int s = 0; s < kSessions; ++s) {
    std::vector<double> a, b;
    for (int n = 1; n <= options.max_runs; ++n) {
      a.push_back(naive_draws.time(100, 0.05));
      b.push_back(naive_draws.time(100, 0.05));
      if (n < options.min_runs) continue;
      stats::Comparison c = stats::measure_comparison(a, b, options.policy);
      stats::Comparison* one = &c;
      stats::decide_verdicts(std::span<stats::Comparison* const>(&one, 1), options.policy);
      if (c.verdict == stats::Verdict::Slower || c.verdict == stats::Verdict::Faster) {
        ++naive_alarms;
        break;
      }
    }
  }
  // And under the default policy (threshold 5%, log-SD 3%): most sessions stop early on
  // "equivalent".
  AdaptiveOptions defaults;
  defaults.max_runs = 30;
  Draws default_draws(12);
  int default_alarms = 0, equivalent = 0;
  for (int s = 0; s < kSessions; ++s) {
    const SessionResult r = simulate(default_draws, {100, 100}, 0.03, defaults);
    default_alarms += std::any_of(r.verdicts.begin(), r.verdicts.end(), [](stats::Verdict v) {
      return v == stats::Verdict::Slower || v == stats::Verdict::Faster;
    });
    equivalent += r.stopped == "conclusive";
  }
  std::printf(
      "A/A with --runs auto, threshold 5%%: false alarms %.3f, %d of %d sessions concluded "
      "'equivalent'\n",
      double(default_alarms) / kSessions, equivalent, kSessions);
  EXPECT_LE(double(default_alarms) / kSessions, 0.05);
  EXPECT_GT(equivalent, kSessions / 2);

  const double rate = double(alarms) / kSessions, naive = double(naive_alarms) / kSessions;
  std::printf(
      "A/A with --runs auto over %d sessions: false alarms %.3f (alpha 0.05), %d conclusive, "
      "%.1f rounds on average; looking at full alpha every round: %.3f\n",
      kSessions, rate, conclusive, double(rounds) / kSessions, naive);
  EXPECT_LE(rate, 0.05);
  EXPECT_GT(naive, 0.05);
}

}  // namespace
}  // namespace coldbench::bench
