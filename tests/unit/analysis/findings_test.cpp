#include "analysis/findings.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "analysis/summary.hpp"

// Each rule on synthetic records: it fires on its planted effect, stays
// silent on a clean control, and says "inconclusive" (with the runs that
// would settle it) when the data is too small.

namespace coldbench::analysis {
namespace {

using RunShaper = std::function<void(RunRecord&, int index)>;

struct Config {
  std::string name;
  RunShaper shape;
};

// `runs` measured runs per config, interleaved as a session records them;
// every run starts with a little deterministic noise on its phase and wall.
ResultsDocument session(const std::vector<Config>& configs, int runs, unsigned seed = 7) {
  ResultsDocument doc;
  doc.host.online_cpus = 4;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(0.98, 1.02);
  for (const auto& c : configs) doc.commands.push_back({c.name, "infer", {"infer"}, false});
  int sequence = 0;
  for (int i = 0; i < runs; ++i) {
    for (std::size_t c = 0; c < configs.size(); ++c) {
      RunRecord run;
      run.command = configs[c].name;
      run.command_index = int(c);
      run.index = i;
      run.sequence = sequence++;
      const double ready = 100 * jitter(rng);
      run.phases = {{"runtime_ready", ready, ready}};
      run.wall_ms = ready + 20 * jitter(rng);
      configs[c].shape(run, i);
      doc.runs.push_back(std::move(run));
    }
  }
  return doc;
}

void set_cache(RunRecord& run, const std::string& mode) { run.residency = ResidencySnapshot{mode, 3, 1000, 10, {}}; }

std::vector<Finding> with_id(const std::vector<Finding>& findings, const std::string& id) {
  std::vector<Finding> out;
  for (const auto& f : findings) {
    if (f.id == id) out.push_back(f);
  }
  return out;
}

// A copy: the findings are often a temporary.
std::optional<Finding> subject(const std::vector<Finding>& findings, const std::string& id, const std::string& what) {
  for (const auto& f : findings) {
    if (f.id == id && f.subject == what) return f;
  }
  return std::nullopt;
}

std::vector<Finding> findings_of(const ResultsDocument& doc) { return summarize_session(doc).findings; }

// Scales a run's runtime_ready phase (and its wall) by `factor`.
void slow_phase(RunRecord& run, double factor) {
  const double extra = run.phases[0].duration_ms * (factor - 1);
  run.phases[0].duration_ms += extra;
  run.phases[0].end_ms += extra;
  run.wall_ms += extra;
}

TEST(FindingColdPenalty, ShownPerPhaseWithItsRatioAndInterval) {
  auto doc = session({{"warm", [](RunRecord& r, int) { set_cache(r, "warm"); }},
                      {"cold", [](RunRecord& r, int) { set_cache(r, "cold"); slow_phase(r, 3.0); }}},
                     8);
  std::optional<Finding> f = subject(findings_of(doc), "cold_penalty", "cold/runtime_ready");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->verdict, FindingVerdict::Shown);
  EXPECT_NEAR(f->effect, 3.0, 0.2);
  ASSERT_TRUE(f->effect_ci.valid());
  EXPECT_LT(f->effect_ci.low, f->effect);
  EXPECT_GT(f->effect_ci.high, f->effect);
  EXPECT_GT(f->effect_ci.level, 0.9);
  EXPECT_EQ(f->baseline, "warm");
  EXPECT_EQ(f->candidate, "cold");
  EXPECT_EQ(f->n_baseline, 8u);
  EXPECT_NE(f->sentence.find("Cold start costs +"), std::string::npos) << f->sentence;
}

TEST(FindingColdPenalty, ColdAsTheBaselineIsReadAsColdAgainstWarm) {
  auto doc = session({{"cold", [](RunRecord& r, int) { set_cache(r, "cold"); slow_phase(r, 3.0); }},
                      {"warm", [](RunRecord& r, int) { set_cache(r, "warm"); }}},
                     8);
  std::optional<Finding> f = subject(findings_of(doc), "cold_penalty", "cold/runtime_ready");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->verdict, FindingVerdict::Shown);
  EXPECT_NEAR(f->effect, 3.0, 0.2);
  EXPECT_LT(f->effect_ci.low, f->effect_ci.high);
  EXPECT_EQ(f->candidate, "cold");
}

TEST(FindingColdPenalty, CleanControlShowsNoPenalty) {
  auto doc = session({{"warm", [](RunRecord& r, int) { set_cache(r, "warm"); }},
                      {"cold", [](RunRecord& r, int) { set_cache(r, "cold"); }}},
                     12);
  for (const auto& f : with_id(findings_of(doc), "cold_penalty")) {
    EXPECT_NE(f.verdict, FindingVerdict::Shown) << f.sentence;
    EXPECT_EQ(f.sentence.find("costs"), std::string::npos) << f.sentence;
  }
}

TEST(FindingColdPenalty, TooFewRunsIsInconclusiveWithRunsNeeded) {
  // 3 runs a side: the smallest two-sided Mann-Whitney p is 0.1, so no verdict.
  auto doc = session({{"warm", [](RunRecord& r, int) { set_cache(r, "warm"); }},
                      {"cold", [](RunRecord& r, int) { set_cache(r, "cold"); slow_phase(r, 1.3); }}},
                     3);
  std::optional<Finding> f = subject(findings_of(doc), "cold_penalty", "cold/runtime_ready");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->verdict, FindingVerdict::Inconclusive);
  EXPECT_GT(f->runs_needed, 3u);
  EXPECT_NE(f->sentence.find("not resolved"), std::string::npos) << f->sentence;
  EXPECT_NE(f->sentence.find(std::to_string(f->runs_needed) + " runs each"), std::string::npos) << f->sentence;
}

// Threads above effective CPUs, with the matched config (threads = effective CPUs).
RunShaper quota(int threads, double latency) {
  return [=](RunRecord& r, int i) {
    r.limits = AppliedLimits{1.0, "", std::nullopt, "", 1, std::to_string(threads), "v2"};
    r.info["compute_threads"] = threads;
    const double wobble = 1 + 0.01 * (i % 3);
    r.metrics.push_back({"latency", "ms", {latency * wobble, latency * 1.02 * wobble, latency * 0.99 * wobble}});
    r.usage.involuntary_switches = threads * 50;
  };
}

TEST(FindingOversubscription, CostAgainstTheMatchedConfigWithRecommendation) {
  auto doc = session({{"quota1", quota(1, 10)}, {"quota1-t8", quota(8, 31)}}, 8);
  std::optional<Finding> f = subject(findings_of(doc), "oversubscription", "quota1-t8");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->verdict, FindingVerdict::Shown);
  EXPECT_NEAR(f->effect, 3.1, 0.2);
  EXPECT_EQ(f->baseline, "quota1");
  EXPECT_NE(f->recommendation.find("threads = effective CPUs (1)"), std::string::npos) << f->recommendation;
  // The session's own wall contrast of the same pair is not repeated as a separate finding.
  EXPECT_FALSE(subject(findings_of(doc), "contrast", "quota1-t8/wall").has_value());
}

TEST(FindingOversubscription, WithoutAMatchedConfigItsCostIsInconclusive) {
  auto doc = session({{"quota1-t8", quota(8, 31)}}, 5);
  std::optional<Finding> f = subject(findings_of(doc), "oversubscription", "quota1-t8");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->verdict, FindingVerdict::Inconclusive);
  EXPECT_TRUE(f->recommendation.empty());
  EXPECT_NE(f->sentence.find("not measured"), std::string::npos) << f->sentence;
}

TEST(FindingOversubscription, SilentWhenThreadsFitTheCpus) {
  auto doc = session({{"a", quota(1, 10)}, {"b", quota(1, 10)}}, 6);
  EXPECT_TRUE(with_id(findings_of(doc), "oversubscription").empty());
}

// A first_inference phase of `first` ms and a steady latency metric of `steady` ms.
RunShaper first_call(double first, double steady, double spread = 0.02) {
  return [=](RunRecord& r, int i) {
    const double wobble = 1 + spread * ((i * 7) % 5 - 2);
    const double end = r.phases[0].end_ms + first * wobble;
    r.phases.push_back({"first_inference", end, first * wobble});
    r.metrics.push_back({"latency", "ms", {steady, steady * 1.01, steady * 0.99}});
  };
}

TEST(FindingLazyFirstCall, FirstInferenceFarAboveSteadyLatency) {
  auto doc = session({{"lazy", first_call(50, 5)}}, 6);
  std::optional<Finding> f = subject(findings_of(doc), "lazy_first_call", "lazy/first_inference");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->verdict, FindingVerdict::Shown);
  EXPECT_NEAR(f->effect, 10, 1);
  EXPECT_FALSE(f->recommendation.empty());
}

TEST(FindingLazyFirstCall, SilentWhenTheFirstCallIsLikeTheRest) {
  auto doc = session({{"eager", first_call(5.5, 5)}}, 6);
  EXPECT_TRUE(with_id(findings_of(doc), "lazy_first_call").empty());
}

TEST(FindingLazyFirstCall, TwoRunsAreInconclusiveWithRunsNeeded) {
  auto doc = session({{"lazy", first_call(15, 5, 0.2)}}, 2);
  std::optional<Finding> f = subject(findings_of(doc), "lazy_first_call", "lazy/first_inference");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->verdict, FindingVerdict::Inconclusive);
  EXPECT_GT(f->runs_needed, 2u);
}

// `iterations` latency values per run: falling from `start` to 10 ms, or flat noise.
RunShaper iterations(int count, double start) {
  return [=](RunRecord& r, int i) {
    std::vector<double> values;
    for (int k = 0; k < count; ++k) {
      const double noise = 0.1 * ((k * 13 + i * 5) % 7 - 3);
      values.push_back(10 + (start - 10) * std::exp(-k / 6.0) + noise);
    }
    r.metrics.push_back({"latency", "ms", values});
  };
}

TEST(FindingWarmup, LatencyStillFallingAcrossIterations) {
  auto doc = session({{"cfg", iterations(30, 20)}}, 4);
  std::optional<Finding> f = subject(findings_of(doc), "warmup_not_converged", "cfg/latency");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->verdict, FindingVerdict::Shown);
  EXPECT_GT(f->effect, 1.1);
  EXPECT_LT(f->p_value, 0.01);
  EXPECT_TRUE(f->effect_ci.valid());
}

TEST(FindingWarmup, SilentOnFlatIterations) {
  auto doc = session({{"cfg", iterations(30, 10)}}, 4);
  EXPECT_TRUE(with_id(findings_of(doc), "warmup_not_converged").empty());
  EXPECT_TRUE(with_id(findings_of(doc), "latency_rises_in_run").empty());
}

// Runs 0-2 follow `most` (a relative change across their 30 iterations), runs
// 3-4 the opposite and steeper `rest`: the per-iteration median profile
// follows runs 0-2, the runs' own ratios disagree.
RunShaper disagreeing_runs(double most, double rest) {
  return [=](RunRecord& r, int i) {
    const double change = i < 3 ? most : rest;
    std::vector<double> values;
    for (int k = 0; k < 30; ++k) values.push_back(10 * (1 + change * k / 29.0));
    r.metrics.push_back({"latency", "ms", values});
  };
}

TEST(FindingWarmup, ARiseThatTheRunsDoNotRepeatIsNotShown) {
  auto doc = session({{"cfg", disagreeing_runs(0.3, -0.6)}}, 5);
  EXPECT_TRUE(with_id(findings_of(doc), "latency_rises_in_run").empty());
}

TEST(FindingWarmup, AFallThatTheRunsDoNotRepeatIsInconclusiveAndAsksForRuns) {
  auto doc = session({{"cfg", disagreeing_runs(-0.3, 0.9)}}, 5);
  std::optional<Finding> f = subject(findings_of(doc), "warmup_not_converged", "cfg/latency");
  ASSERT_TRUE(f.has_value());
  EXPECT_LT(f->p_value, 0.01);  // the profile alone would have called it
  EXPECT_EQ(f->verdict, FindingVerdict::Inconclusive);
  ASSERT_TRUE(f->effect_ci.valid());
  EXPECT_LT(f->effect_ci.low, 1.0);
  EXPECT_GT(f->effect_ci.high, 1.0);
  EXPECT_NE(f->sentence.find("more runs"), std::string::npos) << f->sentence;
}

TEST(FindingWarmup, AFallThatTheTestCannotSettleIsInconclusive) {
  // Mann-Kendall S = -22 over 9 iterations: p 0.025, above the rule's 0.01.
  auto doc = session({{"cfg", [](RunRecord& r, int) {
                         r.metrics.push_back({"latency", "ms", {12, 11, 10.4, 11.2, 10.3, 10.6, 10, 10.5, 9.9}});
                       }}},
                     1);
  std::optional<Finding> f = subject(findings_of(doc), "warmup_not_converged", "cfg/latency");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->verdict, FindingVerdict::Inconclusive);
  EXPECT_NEAR(f->p_value, 0.0247, 0.001);
  EXPECT_TRUE(f->recommendation.empty());
  EXPECT_NE(f->sentence.find("not resolved"), std::string::npos) << f->sentence;
}

TEST(FindingDrift, TooFewRunsToTestAreSilent) {
  auto doc = session({{"cfg", [](RunRecord& r, int i) { r.wall_ms += 5.0 * i; }}}, 7);
  EXPECT_TRUE(with_id(findings_of(doc), "drift").empty());
}

TEST(FindingDrift, WallTimeRisingWithRunOrder) {
  auto doc = session({{"cfg", [](RunRecord& r, int i) { r.wall_ms += 5.0 * i; }}}, 12);
  std::optional<Finding> f = subject(findings_of(doc), "drift", "cfg/wall");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->verdict, FindingVerdict::Shown);
  EXPECT_GT(f->effect, 0.2);
  EXPECT_LT(f->p_value, 0.01);
  EXPECT_NE(f->sentence.find("rises"), std::string::npos);
}

TEST(FindingDrift, SilentOnExchangeableRuns) {
  auto doc = session({{"cfg", [](RunRecord&, int) {}}}, 12);
  EXPECT_TRUE(with_id(findings_of(doc), "drift").empty());
  EXPECT_TRUE(with_id(findings_of(doc), "bimodal").empty());
}

TEST(FindingBimodal, TwoModesOfWallTime) {
  auto doc = session({{"cfg", [](RunRecord& r, int i) { r.wall_ms += i % 2 == 0 ? 0 : 60; }}}, 10);
  std::optional<Finding> f = subject(findings_of(doc), "bimodal", "cfg/wall");
  ASSERT_TRUE(f.has_value());
  EXPECT_NEAR(f->effect, 180.0 / 120.0, 0.1);
  EXPECT_EQ(f->n_baseline, 5u);
  EXPECT_EQ(f->n_candidate, 5u);
}

TEST(FindingBimodal, OneSlowRunIsAnOutlierNotAMode) {
  auto doc = session({{"cfg", [](RunRecord& r, int i) { r.wall_ms += i == 4 ? 60 : 0; }}}, 10);
  EXPECT_TRUE(with_id(findings_of(doc), "bimodal").empty());
}

TEST(FindingBusyMachine, OtherProcessesTookTheCpu) {
  auto busy = [](double other) {
    return [=](RunRecord& r, int) {
      MachineNoise m;
      m.cpus = 2;
      m.interval_ms = 1000;
      m.other_cpu_ms = other * 2000;
      m.load_1m_start = 0.2;
      r.machine = m;
    };
  };
  std::optional<Finding> f = subject(findings_of(session({{"cfg", busy(0.5)}}, 4)), "busy_machine", "cfg");
  ASSERT_TRUE(f.has_value());
  EXPECT_NEAR(f->effect, 0.5, 1e-9);
  EXPECT_TRUE(with_id(findings_of(session({{"cfg", busy(0.01)}}, 4)), "busy_machine").empty());
}

TEST(FindingBusyMachine, OneFindingForEveryBusyConfig) {
  auto busy = [](RunRecord& r, int) {
    MachineNoise m;
    m.cpus = 2;
    m.interval_ms = 1000;
    m.other_cpu_ms = 1000;
    r.machine = m;
  };
  auto found = with_id(findings_of(session({{"a", busy}, {"b", busy}, {"c", busy}}, 4)), "busy_machine");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].subject, "'a', 'b', 'c'");
  EXPECT_NE(found[0].sentence.find("3 configs"), std::string::npos) << found[0].sentence;
}

TEST(FindingBusyMachine, ComesFirstWhenShownWhateverTheOthersStrength) {
  // Bimodal wall times (shown, strong) on a machine that was
  // only just busy: the busy machine still leads, since it qualifies them.
  auto doc = session({{"cfg", [](RunRecord& r, int i) {
                         r.wall_ms += i % 2 == 0 ? 0 : 60;
                         MachineNoise m;
                         m.cpus = 2;
                         m.interval_ms = 1000;
                         m.other_cpu_ms = 0.3 * 2000;
                         r.machine = m;
                       }}},
                     12);
  auto found = findings_of(doc);
  std::string ids;
  for (const Finding& f : found) ids += f.id + " ";
  ASSERT_GE(found.size(), 2u) << ids;
  EXPECT_EQ(found[0].id, "busy_machine") << ids;
  EXPECT_EQ(found[0].verdict, FindingVerdict::Shown);
  EXPECT_TRUE(std::any_of(found.begin() + 1, found.end(), [](const Finding& f) {
    return f.verdict == FindingVerdict::Shown && f.id != "busy_machine";
  }));
}

TEST(FindingMemory, PeakNearTheLimit) {
  auto memory = [](double peak_fraction) {
    return [=](RunRecord& r, int) {
      r.limits = AppliedLimits{std::nullopt, "", int64_t{1} << 30, "", 4, "", "v2"};
      r.cgroup = CgroupStats{};
      r.cgroup->memory_peak_bytes = int64_t(peak_fraction * double(int64_t{1} << 30));
    };
  };
  std::optional<Finding> f = subject(findings_of(session({{"cfg", memory(0.95)}}, 4)), "memory_near_limit", "cfg");
  ASSERT_TRUE(f.has_value());
  EXPECT_NEAR(f->effect, 0.95, 1e-6);
  EXPECT_TRUE(with_id(findings_of(session({{"cfg", memory(0.5)}}, 4)), "memory_near_limit").empty());
}

TEST(FindingQuota, ThrottledShareOfPeriods) {
  auto throttled = [](int64_t periods) {
    return [=](RunRecord& r, int) {
      r.limits = AppliedLimits{1.0, "", std::nullopt, "", 1, "1", "v2"};
      r.cgroup = CgroupStats{100.0, int64_t{100}, periods, 30.0, std::nullopt, std::nullopt};
    };
  };
  std::optional<Finding> f = subject(findings_of(session({{"cfg", throttled(40)}}, 4)), "quota_throttling", "cfg");
  ASSERT_TRUE(f.has_value());
  EXPECT_NEAR(f->effect, 0.4, 1e-9);
  EXPECT_TRUE(with_id(findings_of(session({{"cfg", throttled(1)}}, 4)), "quota_throttling").empty());
}

// Steady latency `latency` ms per run, and a model_optimized phase of `optimize` ms when given.
RunShaper mode(double latency, double optimize) {
  return [=](RunRecord& r, int i) {
    if (optimize > 0) {
      const double end = r.phases[0].end_ms + optimize;
      r.phases.push_back({"model_optimized", end, optimize});
    }
    const double wobble = 1 + 0.01 * ((i * 3) % 5 - 2);
    r.metrics.push_back({"latency", "ms", {latency * wobble, latency * wobble * 1.01, latency * wobble * 0.99}});
  };
}

TEST(FindingModeGain, BreakEvenIsOptimizationTimeOverTheSaving) {
  auto doc = session({{"script", mode(10, 0)}, {"optimized", mode(4, 300)}}, 8);
  std::optional<Finding> f = subject(findings_of(doc), "mode_gain", "optimized");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->verdict, FindingVerdict::Shown);
  EXPECT_NEAR(f->effect, 0.4, 0.02);
  EXPECT_EQ(f->baseline, "script");
  double even = 0;
  for (const auto& e : f->evidence) {
    if (e.name == "break-even inferences") even = e.value;
  }
  EXPECT_NEAR(even, 300.0 / 6.0, 3);  // 300 ms to optimize, 6 ms saved per inference
  EXPECT_NE(f->recommendation.find("inferences"), std::string::npos);
}

TEST(FindingModeGain, NoBreakEvenWithoutAGain) {
  auto doc = session({{"script", mode(4, 0)}, {"optimized", mode(4, 300)}}, 8);
  std::optional<Finding> f = subject(findings_of(doc), "mode_gain", "optimized");
  ASSERT_TRUE(f.has_value());
  EXPECT_NE(f->verdict, FindingVerdict::Shown);
  EXPECT_TRUE(f->recommendation.empty());
  EXPECT_EQ(f->sentence.find("pays for itself"), std::string::npos) << f->sentence;
}

TEST(FindingModeGain, TwoRunsAreInconclusiveWithRunsNeeded) {
  auto doc = session({{"script", mode(5, 0)}, {"optimized", mode(4, 300)}}, 2);
  std::optional<Finding> f = subject(findings_of(doc), "mode_gain", "optimized");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->verdict, FindingVerdict::Inconclusive);
  EXPECT_GT(f->runs_needed, 2u);
}

TEST(Findings, ShownComeFirstThenLargerEffects) {
  auto doc = session({{"warm", [](RunRecord& r, int) { set_cache(r, "warm"); }},
                      {"cold", [](RunRecord& r, int i) { set_cache(r, "cold"); slow_phase(r, 2.0); r.wall_ms += 9.0 * i; }},
                      {"cold2", [](RunRecord& r, int) { set_cache(r, "cold"); slow_phase(r, 4.0); }}},
                     10);
  auto findings = findings_of(doc);
  ASSERT_GE(findings.size(), 3u);
  for (std::size_t k = 1; k < findings.size(); ++k) {
    const bool shown_before = findings[k - 1].verdict == FindingVerdict::Shown;
    if (findings[k].verdict == FindingVerdict::Shown) {
      EXPECT_TRUE(shown_before);
      EXPECT_GE(findings[k - 1].strength, findings[k].strength);
    }
  }
  EXPECT_EQ(findings[0].subject, "cold2/runtime_ready");
}

TEST(Findings, ALookBetweenRunsComputesNone) {
  auto doc = session({{"warm", [](RunRecord& r, int) { set_cache(r, "warm"); }},
                      {"cold", [](RunRecord& r, int) { set_cache(r, "cold"); slow_phase(r, 3.0); }}},
                     8);
  EXPECT_TRUE(summarize_session_at(doc, {}, /*power=*/false).findings.empty());
}

}  // namespace
}  // namespace coldbench::analysis
