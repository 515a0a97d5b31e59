#include "compare/gate.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "analysis/summary.hpp"

namespace coldbench::compare {
namespace {

// Normal noise from mt19937_64 (fully specified by the standard) by
// Box-Muller, so the samples are the same with every standard library.
class Noise {
 public:
  explicit Noise(uint64_t seed) : engine_(seed) {}
  double normal(double mean, double sd) {
    double u1 = uniform(), u2 = uniform();
    return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

 private:
  double uniform() { return (double((engine_() >> 11) + 1)) * 0x1.0p-53; }
  std::mt19937_64 engine_;
};

struct ConfigPlan {
  std::string name;
  double load_ms = 50;    // phase "load"
  double infer_ms = 10;   // phase "infer"
  double latency_ms = 0;  // per-iteration latency metric (0: none)
  int failures = 0;
};

// A session with `runs` measured runs per config: wall = load + infer + 1 ms,
// each value with `sd` relative noise.
ResultsDocument session(const std::vector<ConfigPlan>& plans, int runs, double sd, uint64_t seed) {
  Noise noise(seed);
  ResultsDocument doc;
  for (const auto& p : plans) doc.commands.push_back(CommandSpec{p.name, p.name, {p.name}, false});
  int sequence = 0;
  for (int i = 0; i < runs; ++i) {
    for (std::size_t c = 0; c < plans.size(); ++c) {
      const auto& p = plans[c];
      RunRecord run;
      run.command = p.name;
      run.command_index = static_cast<int>(c);
      run.index = i;
      run.sequence = sequence++;
      double load = noise.normal(p.load_ms, sd * p.load_ms);
      double infer = noise.normal(p.infer_ms, sd * p.infer_ms);
      run.phases = {{"load", load, load}, {"infer", load + infer, infer}};
      run.wall_ms = load + infer + 1.0;
      if (p.latency_ms > 0) {
        MetricRecord latency{"latency", "ms", {}};
        for (int k = 0; k < 20; ++k)
          latency.values.push_back(noise.normal(p.latency_ms, sd * p.latency_ms));
        run.metrics.push_back(latency);
      }
      if (i < p.failures) run.error = "exit code 1";
      doc.runs.push_back(std::move(run));
    }
  }
  return doc;
}

const QuantityDelta* quantity(const GateResult& r, const std::string& config,
                              const std::string& name) {
  for (const auto& c : r.configs) {
    if (c.config != config) continue;
    for (const auto& q : c.quantities) {
      if (q.quantity == name) return &q;
    }
  }
  return nullptr;
}

TEST(CompareGate, HolmAdjustment) {
  const std::vector<double> p{0.01, 0.04, 0.03, 0.005};
  const auto adjusted = holm_adjust(p);
  ASSERT_EQ(adjusted.size(), 4u);
  EXPECT_DOUBLE_EQ(adjusted[3], 0.02);  // 4 x 0.005
  EXPECT_DOUBLE_EQ(adjusted[0], 0.03);  // 3 x 0.01
  EXPECT_DOUBLE_EQ(adjusted[2], 0.06);  // 2 x 0.03
  EXPECT_DOUBLE_EQ(adjusted[1], 0.06);  // 1 x 0.04, raised to the previous 0.06
  EXPECT_TRUE(holm_adjust(std::vector<double>{}).empty());
  EXPECT_DOUBLE_EQ(holm_adjust(std::vector<double>{0.7, 0.9})[0], 1.0);
}

TEST(CompareGate, TenPercentSlowerIsARegression) {
  auto base = session({{"a", 50, 10, 5}}, 15, 0.01, 1);
  auto current = session({{"a", 55, 11, 5.5}}, 15, 0.01, 2);
  auto result = compare_sessions(base, current);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->regressed());
  EXPECT_EQ(result->tests, 4);  // wall, load, infer, latency
  const auto* wall = quantity(*result, "a", "wall");
  ASSERT_NE(wall, nullptr);
  EXPECT_NEAR(wall->comparison.ratio, 1.1, 0.02);
  EXPECT_LT(wall->comparison.p_adjusted, 0.001);
  EXPECT_EQ(wall->comparison.verdict, stats::Verdict::Slower);
  const auto* latency = quantity(*result, "a", "latency");
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->kind, QuantityKind::Metric);
  EXPECT_EQ(latency->comparison.n_baseline, 15u);  // one value (the median) per run, not 300
  EXPECT_EQ(result->regressions(), 4);
}

TEST(CompareGate, FasterIsNotARegression) {
  auto base = session({{"a", 55, 11}}, 12, 0.01, 3);
  auto current = session({{"a", 50, 10}}, 12, 0.01, 4);
  auto result = compare_sessions(base, current);
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->regressed());
  EXPECT_EQ(result->improvements(), 3);
}

TEST(CompareGate, ChangeBelowTheThresholdIsNoRegression) {
  auto base = session({{"a", 50, 10}}, 15, 0.002, 5);
  auto current = session({{"a", 51.5, 10.3}}, 15, 0.002, 6);  // 3% slower, clearly significant
  GateOptions options;
  options.threshold = 0.05;
  auto result = compare_sessions(base, current, options);
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->regressed());
  options.threshold = 0.01;
  result = compare_sessions(base, current, options);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->regressed());
}

TEST(CompareGate, AaComparisonsRarelyAlarm) {
  int false_alarms = 0;
  for (uint64_t pair = 0; pair < 20; ++pair) {
    std::vector<ConfigPlan> plans{{"a", 50, 10, 5}, {"b", 80, 20, 9}};
    auto base = session(plans, 15, 0.03, 100 + 2 * pair);
    auto current = session(plans, 15, 0.03, 101 + 2 * pair);
    auto result = compare_sessions(base, current);
    ASSERT_TRUE(result);
    false_alarms += result->regressed() ? 1 : 0;
  }
  EXPECT_LE(false_alarms, 1);
}

TEST(CompareGate, MatchesConfigsByNameAndListsTheRest) {
  auto base = session({{"a", 50, 10}, {"b", 60, 10}}, 5, 0.01, 7);
  auto current = session({{"c", 50, 10}, {"a", 50, 10}}, 5, 0.01, 8);
  auto result = compare_sessions(base, current);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->configs.size(), 1u);
  EXPECT_EQ(result->configs[0].config, "a");
  EXPECT_EQ(result->only_in_base, std::vector<std::string>{"b"});
  EXPECT_EQ(result->only_in_current, std::vector<std::string>{"c"});
}

TEST(CompareGate, NoConfigInCommonIsAnError) {
  auto base = session({{"a"}}, 5, 0.01, 9);
  auto current = session({{"b"}}, 5, 0.01, 10);
  auto result = compare_sessions(base, current);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("no config in common"), std::string::npos);
  EXPECT_EQ(result.error().exit_code, kExitUsage);
}

TEST(CompareGate, TooFewRunsIsAnError) {
  auto result = compare_sessions(session({{"a"}}, 1, 0.01, 11), session({{"a"}}, 1, 0.01, 12));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("nothing to compare"), std::string::npos);
}

TEST(CompareGate, MoreFailuresIsARegression) {
  auto base = session({{"a"}}, 8, 0.01, 13);
  ConfigPlan failing{"a"};
  failing.failures = 3;
  auto current = session({failing}, 8, 0.01, 14);
  auto result = compare_sessions(base, current);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->configs[0].more_failures());
  EXPECT_TRUE(result->regressed());
  EXPECT_EQ(result->configs[0].current_failed, 3);
  // The same failures on both sides are no regression.
  auto again = compare_sessions(current, current);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->regressed());
}

TEST(CompareGate, PhaseOnlyOnOneSideIsSkipped) {
  auto base = session({{"a"}}, 5, 0.01, 15);
  auto current = session({{"a"}}, 5, 0.01, 16);
  for (auto& run : current.runs) run.phases.push_back({"extra", run.wall_ms, 1.0});
  auto result = compare_sessions(base, current);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->configs[0].skipped.size(), 1u);
  EXPECT_EQ(result->configs[0].skipped[0], "phase extra: only in current");
  EXPECT_EQ(quantity(*result, "a", "extra"), nullptr);
}

// Found in review: the gate takes its samples where the report's summary does
// (analysis/run_samples.hpp), so both list a config's phases in one order and
// compare the same values.
TEST(CompareGate, QuantitiesAreTheSummarysSamplesInTheSummarysOrder) {
  auto base = session({{"a", 50, 10, 5}}, 6, 0.02, 31);
  auto current = session({{"a", 50, 10, 5}}, 6, 0.02, 32);
  // Listed out of time order, and a failed run whose values must not count.
  for (auto* doc : {&base, &current}) {
    for (auto& run : doc->runs) std::swap(run.phases[0], run.phases[1]);
    doc->runs[0].error = "exit code 1";
  }
  auto result = compare_sessions(base, current);
  ASSERT_TRUE(result);
  const auto summary = analysis::summarize_session(base);
  const auto& phases = summary.commands[0].phases;
  const auto& quantities = result->configs[0].quantities;
  ASSERT_EQ(phases.size(), 2u);
  ASSERT_EQ(quantities.size(), 4u);  // wall, the two phases, latency
  EXPECT_EQ(quantities[0].quantity, "wall");
  for (std::size_t k = 0; k < phases.size(); ++k) {
    EXPECT_EQ(quantities[k + 1].quantity, phases[k].name);
    EXPECT_EQ(quantities[k + 1].comparison.n_baseline, phases[k].values.size());
    EXPECT_DOUBLE_EQ(quantities[k + 1].comparison.median_baseline, phases[k].summary.median);
  }
  EXPECT_EQ(quantities[1].quantity, "load");  // ends first although listed second
  EXPECT_EQ(quantities[3].quantity, "latency");
  EXPECT_EQ(quantities[0].comparison.n_baseline, summary.commands[0].wall.values.size());
  EXPECT_EQ(result->configs[0].base_failed, summary.commands[0].failed_runs);
}

TEST(CompareGate, WithoutCorrectionThePValueIsTheRawOne) {
  auto base = session({{"a", 50, 10}}, 10, 0.02, 17);
  auto current = session({{"a", 50, 10}}, 10, 0.02, 18);
  GateOptions options;
  options.correction = Correction::None;
  auto result = compare_sessions(base, current, options);
  ASSERT_TRUE(result);
  for (const auto& q : result->configs[0].quantities) {
    EXPECT_DOUBLE_EQ(q.comparison.p_adjusted, q.comparison.mann_whitney.p_value);
  }
  options.correction = Correction::Holm;
  result = compare_sessions(base, current, options);
  ASSERT_TRUE(result);
  for (const auto& q : result->configs[0].quantities)
    EXPECT_GE(q.comparison.p_adjusted, q.comparison.mann_whitney.p_value);
}

// Found in review: the demo's 3 runs per config, scaled by 1.5, passed the gate.
// Now 3 + 3 runs cannot reach alpha at all: the gate cannot pass, and says
// how many runs it needs.
TEST(CompareGate, FiftyPercentSlowerAtThreeRunsIsNeverAPass) {
  std::vector<ConfigPlan> plans{{"a", 50, 10, 5}, {"b", 80, 20, 9}, {"c", 30, 5}};
  auto base = session(plans, 3, 0.03, 40);
  auto current = base;
  for (auto& run : current.runs) {
    run.wall_ms *= 1.5;
    for (auto& p : run.phases) p.duration_ms *= 1.5, p.end_ms *= 1.5;
    for (auto& m : run.metrics)
      for (double& v : m.values) v *= 1.5;
  }
  auto result = compare_sessions(base, current);
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->passed());
  EXPECT_GT(result->undecided(), 0);
  EXPECT_GT(result->most_runs_needed(), 3u);
  for (const auto& c : result->configs) {
    for (const auto& q : c.quantities) EXPECT_TRUE(std::isinf(q.comparison.mde_ratio)) << q.quantity;
  }
}

TEST(CompareGate, TightAaSessionsPassAsEquivalent) {
  std::vector<ConfigPlan> plans{{"a", 50, 10, 5}};
  auto result = compare_sessions(session(plans, 20, 0.005, 50), session(plans, 20, 0.005, 51));
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->passed());
  for (const auto& q : result->configs[0].quantities)
    EXPECT_EQ(q.comparison.verdict, stats::Verdict::Equivalent) << q.quantity;
}

TEST(CompareGate, TooFewRunsForAQuantityIsUndecided) {
  auto base = session({{"a"}, {"b"}}, 6, 0.005, 52);
  auto current = session({{"a"}, {"b"}}, 6, 0.005, 53);
  // Config b: every run but one failed on both sides (same failure rate: no regression).
  for (auto* doc : {&base, &current}) {
    for (auto& run : doc->runs) {
      if (run.command_index == 1 && run.index > 0) run.error = "exit code 1";
    }
  }
  auto result = compare_sessions(base, current);
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->regressed());
  EXPECT_GT(result->configs[1].too_few_runs, 0);
  EXPECT_FALSE(result->passed());
}

}  // namespace
}  // namespace coldbench::compare
