#include "analysis/run_samples.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../report/sample_document.hpp"

namespace coldbench::analysis {
namespace {

using report::fixtures::sample_document;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(RunSamples, CommandRunsLeaveOutWarmupsAndSplitOffFailures) {
  const ResultsDocument doc = sample_document();
  const CommandRuns base = command_runs(doc, 0);
  EXPECT_EQ(base.measured.size(), 7u);  // the warmup is not measured
  EXPECT_EQ(base.ok.size(), 6u);
  EXPECT_EQ(base.failed(), 1);
  for (const auto* run : base.ok) EXPECT_EQ(run->command_index, 0);
  EXPECT_EQ(command_runs(doc, 2).failed(), 0);
}

TEST(RunSamples, PhaseOrderIsByMedianEndTimeNotListOrder) {
  const ResultsDocument doc = sample_document();
  // The fixture lists "compute" first in every run although "load" ends first.
  EXPECT_THAT(phase_order(command_runs(doc, 0).ok), ElementsAre("load", "compute"));
  EXPECT_THAT(phase_order(doc), ElementsAre("load", "compute"));
  EXPECT_THAT(phase_order(command_runs(doc, 2).ok), IsEmpty());
}

TEST(RunSamples, DocumentPhaseOrderPoolsEverySuccessfulMeasuredRun) {
  ResultsDocument doc;
  doc.commands = {CommandSpec{"a", "a", {"a"}, false}, CommandSpec{"b", "b", {"b"}, false}};
  auto run = [](int command, std::vector<PhaseRecord> phases, bool warmup = false, const char* error = "") {
    RunRecord r;
    r.command_index = command;
    r.error = error;
    r.warmup = warmup;
    r.phases = std::move(phases);
    return r;
  };
  // "x" ends at 10 in a, "y" at 5 in b: pooled, y comes first. The warmup and
  // the failed run would put "z" first if they counted.
  doc.runs = {run(0, {{"x", 10, 10}}), run(1, {{"y", 5, 5}}), run(0, {{"z", 1, 1}}, true),
              run(1, {{"z", 1, 1}}, false, "exited with code 1")};
  EXPECT_THAT(phase_order(doc), ElementsAre("y", "x"));
  EXPECT_THAT(phase_order(command_runs(doc, 0).ok), ElementsAre("x"));
}

TEST(RunSamples, PhaseValuesAreDurationsOfTheRunsThatHaveThePhase) {
  ResultsDocument doc = sample_document();
  for (auto& r : doc.runs) {
    if (r.command_index == 0 && r.index >= 4) r.phases.clear();
  }
  auto phases = phase_values(command_runs(doc, 0).ok);
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[0].name, "load");
  EXPECT_EQ(phases[0].unit, "ms");
  EXPECT_THAT(phases[0].values, ElementsAre(20, 20, 20, 20));
  EXPECT_THAT(phases[0].run_indices, ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(phases[1].name, "compute");
}

TEST(RunSamples, WallValuesInDocumentOrderWithRunIndices) {
  const auto wall = wall_values(command_runs(sample_document(), 0).ok);
  EXPECT_EQ(wall.name, "wall");
  EXPECT_THAT(wall.values, ElementsAre(100, 101, 102, 103, 104, 105));
  EXPECT_THAT(wall.run_indices, ElementsAre(0, 1, 2, 3, 4, 5));
}

TEST(RunSamples, MetricRunMediansAreOneValuePerRun) {
  ResultsDocument doc = sample_document();
  auto lat = metric_run_medians(command_runs(doc, 0).ok, "lat");
  EXPECT_THAT(lat.values, ElementsAre(1.5, 2.5, 3.5, 4.5, 5.5, 6.5));  // runs hold {1+i, 2+i}
  EXPECT_EQ(lat.unit, "ms");
  // A unit a run gives wins over the default; runs without the metric give no value.
  for (auto& r : doc.runs) {
    if (r.command_index == 0 && !r.metrics.empty()) r.metrics[0].unit = "us";
  }
  EXPECT_EQ(metric_run_medians(command_runs(doc, 0).ok, "lat").unit, "us");
  EXPECT_THAT(metric_run_medians(command_runs(doc, 1).ok, "lat").values, IsEmpty());
}

}  // namespace
}  // namespace coldbench::analysis
