#include "analysis/summary.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../report/sample_document.hpp"

namespace coldbench::analysis {
namespace {

using report::fixtures::sample_document;
using report::fixtures::sample_run;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const SampleSummary* find(const std::vector<SampleSummary>& samples, const std::string& name) {
  for (const auto& s : samples) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

TEST(AnalysisSummary, FailedRunsAreCountedButNotMeasured) {
  SessionSummary s = summarize_session(sample_document());
  ASSERT_EQ(s.commands.size(), 3u);
  const CommandSummary& base = s.commands[0];
  EXPECT_EQ(base.name, "base");
  EXPECT_EQ(base.command_text, "python3 base.py");
  EXPECT_EQ(base.measured_runs, 7);  // the warmup is not a measured run
  EXPECT_EQ(base.succeeded_runs, 6);
  EXPECT_EQ(base.failed_runs, 1);
  EXPECT_EQ(base.wall.summary.n, 6u);
  EXPECT_DOUBLE_EQ(base.wall.summary.max, 105);  // neither the failed 5000 nor the warmup 500
  EXPECT_DOUBLE_EQ(base.wall.summary.median, 102.5);
  EXPECT_THAT(base.wall.values, ElementsAre(100, 101, 102, 103, 104, 105));
  ASSERT_EQ(base.failures.size(), 1u);
  EXPECT_EQ(base.failures[0].run_index, 6);
  EXPECT_FALSE(base.failures[0].warmup);
  EXPECT_EQ(base.failures[0].error, "exited with code 1");
  EXPECT_EQ(base.malformed_markers, 2);  // counted from every run, failed ones too
}

TEST(AnalysisSummary, FailedWarmupIsListedButNotCountedAsAFailedRun) {
  ResultsDocument doc = sample_document();
  doc.runs[0].error = "killed by signal 9 (Killed)";
  SessionSummary s = summarize_session(doc);
  const CommandSummary& base = s.commands[0];
  EXPECT_EQ(base.failed_runs, 1);
  ASSERT_EQ(base.failures.size(), 2u);
  EXPECT_TRUE(base.failures[0].warmup);
}

TEST(AnalysisSummary, PhasesAreOrderedByMedianEndTime) {
  SessionSummary s = summarize_session(sample_document());
  const CommandSummary& base = s.commands[0];
  ASSERT_EQ(base.phases.size(), 2u);
  EXPECT_EQ(base.phases[0].name, "load");  // ends at 20 ms although listed second
  EXPECT_EQ(base.phases[1].name, "compute");
  EXPECT_EQ(base.phases[0].unit, "ms");
  EXPECT_EQ(base.phases[0].summary.n, 6u);  // not the failed run's 4000 ms load
  EXPECT_DOUBLE_EQ(base.phases[0].summary.max, 20);
  EXPECT_DOUBLE_EQ(base.phases[1].summary.median, 102.5 - 5 - 20);
  EXPECT_THAT(s.commands[2].phases, IsEmpty());
}

TEST(AnalysisSummary, PhaseMissingFromSomeRunsCountsOnlyThoseThatHaveIt) {
  ResultsDocument doc = sample_document();
  for (auto& run : doc.runs) {
    if (run.command == "base" && run.index >= 4) run.phases.clear();
  }
  const CommandSummary base = summarize_session(doc).commands[0];
  ASSERT_EQ(base.phases.size(), 2u);
  EXPECT_EQ(base.phases[0].runs, 4);
  EXPECT_EQ(base.phases[0].summary.n, 4u);
}

TEST(AnalysisSummary, MetricValuesArePooledOverSuccessfulRuns) {
  SessionSummary s = summarize_session(sample_document());
  const CommandSummary& base = s.commands[0];
  ASSERT_EQ(base.metrics.size(), 1u);
  const SampleSummary& lat = base.metrics[0];
  EXPECT_EQ(lat.name, "lat");
  EXPECT_EQ(lat.unit, "ms");
  EXPECT_EQ(lat.runs, 6);
  EXPECT_EQ(lat.summary.n, 12u);
  EXPECT_DOUBLE_EQ(lat.summary.min, 1);
  EXPECT_DOUBLE_EQ(lat.summary.max, 7);  // the failed run's 9999 is left out
}

TEST(AnalysisSummary, ProcessStatsAndInfoFromTheLatestSuccessfulRun) {
  ResultsDocument doc = sample_document();
  doc.runs[1].info["threads"] = 2;       // base run 0
  doc.runs[16].info["threads"] = 4;      // base run 5
  doc.runs.back().info["threads"] = 99;  // the failed run
  const CommandSummary base = summarize_session(doc).commands[0];
  const SampleSummary* user = find(base.process, "user_cpu");
  ASSERT_NE(user, nullptr);
  EXPECT_DOUBLE_EQ(user->summary.median, 51.25);
  const SampleSummary* rss = find(base.process, "max_rss");
  ASSERT_NE(rss, nullptr);
  EXPECT_EQ(rss->unit, "KiB");
  EXPECT_EQ(base.info.at("threads"), 4);
  EXPECT_THAT(base.cgroup, IsEmpty());
  EXPECT_FALSE(base.residency);
}

TEST(AnalysisSummary, CgroupAndResidencyOnlyWhenRecorded) {
  ResultsDocument doc = sample_document();
  for (auto& run : doc.runs) {
    if (run.command != "slow") continue;
    run.cgroup = CgroupStats{};
    run.cgroup->memory_peak_bytes = 1000;
    run.residency = ResidencySnapshot{"cold", 1, 400, 100, {}};
  }
  const CommandSummary slow = summarize_session(doc).commands[1];
  ASSERT_EQ(slow.cgroup.size(), 1u);
  EXPECT_EQ(slow.cgroup[0].name, "memory_peak");
  EXPECT_DOUBLE_EQ(slow.cgroup[0].summary.median, 1000);
  ASSERT_TRUE(slow.residency);
  EXPECT_DOUBLE_EQ(slow.residency->summary.median, 25.0);
  EXPECT_EQ(slow.residency->unit, "%");
}

TEST(AnalysisSummary, ContrastsInTheOptionsChooseTheComparisons) {
  ResultsDocument doc = sample_document();
  doc.options["contrasts"] = nlohmann::json::array(
      {{{"name", "x"}, {"baseline", "fast"}, {"candidate", "slow"}},
       {{"name", "unknown names are skipped"}, {"baseline", "fast"}, {"candidate", "gone"}}});
  SessionSummary s = summarize_session(doc);
  ASSERT_EQ(s.comparisons.size(), 1u);
  EXPECT_EQ(s.comparisons[0].baseline, "fast");
  EXPECT_EQ(s.comparisons[0].candidate, "slow");
  ASSERT_FALSE(s.comparisons[0].quantities.empty());
  EXPECT_EQ(s.comparisons[0].quantities[0].quantity, "wall");
  EXPECT_NEAR(s.comparisons[0].quantities[0].comparison.ratio, 202.5 / 52.5, 1e-9);
}

TEST(AnalysisSummary, AdaptiveSessionDecidesAtItsLooksAlpha) {
  ResultsDocument doc = sample_document();
  SessionSummary fixed = summarize_session(doc);
  EXPECT_DOUBLE_EQ(fixed.policy.alpha, 0.05);
  doc.adaptive = {{"rule", "comparison"}, {"sequential", {{"decision_alpha", 0.0009}}}};
  SessionSummary sequential = summarize_session(doc);
  EXPECT_DOUBLE_EQ(sequential.policy.alpha, 0.0009);
  // 6 runs a side: the smallest exact two-sided p (0.0022) passes Holm at 0.05, never at 0.0009.
  EXPECT_EQ(fixed.comparisons[0].quantities[0].comparison.verdict, stats::Verdict::Slower);
  EXPECT_EQ(sequential.comparisons[0].quantities[0].comparison.verdict, stats::Verdict::Inconclusive);
  // A precision-rule session (no sequential object) keeps the policy's alpha.
  doc.adaptive = {{"rule", "precision"}};
  EXPECT_DOUBLE_EQ(summarize_session(doc).policy.alpha, 0.05);
  // summarize_session_at is the look's own question: exactly the policy given.
  stats::ComparisonPolicy at;
  at.alpha = 0.01;
  doc.adaptive = {{"sequential", {{"decision_alpha", 0.0009}}}};
  EXPECT_DOUBLE_EQ(summarize_session_at(doc, at).policy.alpha, 0.01);
}

TEST(AnalysisSummary, ComparisonsAgainstTheFirstCommand) {
  SessionSummary s = summarize_session(sample_document());
  ASSERT_EQ(s.comparisons.size(), 2u);
  const CommandComparison& slow = s.comparisons[0];
  EXPECT_EQ(slow.baseline, "base");
  EXPECT_EQ(slow.candidate, "slow");
  ASSERT_EQ(slow.quantities.size(), 3u);  // wall and both shared phases
  EXPECT_EQ(slow.quantities[0].quantity, "wall");
  EXPECT_EQ(slow.quantities[0].comparison.verdict, stats::Verdict::Slower);
  EXPECT_NEAR(slow.quantities[0].comparison.ratio, 202.5 / 102.5, 1e-12);
  EXPECT_EQ(slow.quantities[1].quantity, "load");
  EXPECT_EQ(slow.quantities[1].comparison.verdict, stats::Verdict::Slower);

  const CommandComparison& fast = s.comparisons[1];
  EXPECT_EQ(fast.candidate, "fast");
  ASSERT_EQ(fast.quantities.size(), 1u);  // fast has no phases
  EXPECT_EQ(fast.quantities[0].comparison.verdict, stats::Verdict::Faster);
}

TEST(AnalysisSummary, OneCommandHasNoComparisonsAndTooFewRunsGiveNoQuantities) {
  ResultsDocument doc = sample_document();
  doc.commands.resize(1);
  EXPECT_THAT(summarize_session(doc).comparisons, IsEmpty());

  ResultsDocument few = sample_document();
  std::erase_if(few.runs, [](const RunRecord& r) { return r.command == "fast" && r.index > 0; });
  SessionSummary s = summarize_session(few);
  ASSERT_EQ(s.comparisons.size(), 2u);
  EXPECT_THAT(s.comparisons[1].quantities, IsEmpty());
}

TEST(AnalysisSummary, CommandWithoutRunsSummarizesToNothing) {
  ResultsDocument doc = sample_document();
  doc.runs.clear();
  SessionSummary s = summarize_session(doc);
  ASSERT_EQ(s.commands.size(), 3u);
  EXPECT_EQ(s.commands[0].measured_runs, 0);
  EXPECT_EQ(s.commands[0].wall.summary.n, 0u);
  EXPECT_THAT(s.commands[0].phases, IsEmpty());
}

ResultsDocument single_command(const std::vector<double>& walls) {
  ResultsDocument doc;
  doc.commands = {CommandSpec{"a", "a", {"a"}, false}};
  for (std::size_t i = 0; i < walls.size(); ++i)
    doc.runs.push_back(sample_run(0, "a", int(i), walls[i]));
  return doc;
}

TEST(AnalysisSummary, TimerTightDeviationsAreNotOutliers) {
  // 100.9 has a modified z-score above 3.5 but is within 1% of the median.
  auto s = summarize_session(single_command({100, 100, 100.1, 100.2, 100.1, 100.9}));
  EXPECT_THAT(s.commands[0].wall.outliers, IsEmpty());
}

TEST(AnalysisSummary, RealOutliersAreFlaggedWithTheirRun) {
  auto s = summarize_session(single_command({100, 100, 100.1, 100.2, 100.1, 110}));
  const auto& outliers = s.commands[0].wall.outliers;
  ASSERT_EQ(outliers.size(), 1u);
  EXPECT_EQ(outliers[0].run_index, 5);
  EXPECT_DOUBLE_EQ(outliers[0].value, 110);
  EXPECT_GT(outliers[0].z, 3.5);
}

TEST(AnalysisSummary, FewerThanFiveRunsAreNeverFlagged) {
  auto s = summarize_session(single_command({100, 100.1, 100.2, 500}));
  EXPECT_THAT(s.commands[0].wall.outliers, IsEmpty());
}

}  // namespace
}  // namespace coldbench::analysis
