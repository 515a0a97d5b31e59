#include "markers/run_markers.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace coldbench::markers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A fake harness clock: the spawn happened 100 hours after boot, so that
// wall-clock-like times cannot be mistaken for this run's CLOCK_MONOTONIC.
constexpr int64_t kSpawn = 100LL * 3600 * 1'000'000'000;
constexpr int64_t kMs = 1'000'000;

std::string phase_line(const std::string& name, int64_t t_ns) {
  return fmt::format(R"({{"v":1,"t":{},"kind":"phase","name":"{}"}})", t_ns, name);
}

std::string metric_line(const std::string& name, const std::string& unit,
                        const std::string& values) {
  return fmt::format(R"({{"v":1,"t":{},"kind":"metric","name":"{}","unit":"{}","values":[{}]}})",
                     kSpawn, name, unit, values);
}

std::vector<RegexRule> rules(std::initializer_list<std::pair<RuleKind, const char*>> specs) {
  std::vector<RegexRule> out;
  for (const auto& [kind, spec] : specs) {
    auto rule = parse_rule(kind, spec);
    EXPECT_TRUE(rule.ok()) << spec;
    if (rule.ok()) out.push_back(*rule);
  }
  return out;
}

RunRecord filled(const RunMarkers& markers, int64_t spawn_ns = kSpawn) {
  RunRecord record;
  markers.fill(record, spawn_ns);
  return record;
}

TEST(MarkersRunMarkers, PhaseDurationsAreMeasuredFromSpawn) {
  RunMarkers markers(nullptr);
  markers.on_marker_line(phase_line("load", kSpawn + 10 * kMs));
  markers.on_marker_line(phase_line("warmup", kSpawn + 25 * kMs));
  markers.on_marker_line(phase_line("run", kSpawn + 65 * kMs));
  RunRecord r = filled(markers);
  ASSERT_EQ(r.phases.size(), 3u);
  EXPECT_EQ(r.phases[0].name, "load");
  EXPECT_DOUBLE_EQ(r.phases[0].end_ms, 10);
  EXPECT_DOUBLE_EQ(r.phases[0].duration_ms, 10);
  EXPECT_DOUBLE_EQ(r.phases[1].end_ms, 25);
  EXPECT_DOUBLE_EQ(r.phases[1].duration_ms, 15);
  EXPECT_DOUBLE_EQ(r.phases[2].end_ms, 65);
  EXPECT_DOUBLE_EQ(r.phases[2].duration_ms, 40);
  EXPECT_EQ(r.phases[0].source, PhaseSource::Marker);
  EXPECT_EQ(r.malformed_markers, 0);
}

TEST(MarkersRunMarkers, PhasesAreOrderedByTimeNotArrival) {
  // Threads may write their markers out of order.
  RunMarkers markers(nullptr);
  markers.on_marker_line(phase_line("second", kSpawn + 20 * kMs));
  markers.on_marker_line(phase_line("third", kSpawn + 30 * kMs));
  markers.on_marker_line(phase_line("first", kSpawn + 5 * kMs));
  RunRecord r = filled(markers);
  ASSERT_EQ(r.phases.size(), 3u);
  EXPECT_EQ(r.phases[0].name, "first");
  EXPECT_EQ(r.phases[1].name, "second");
  EXPECT_EQ(r.phases[2].name, "third");
  EXPECT_DOUBLE_EQ(r.phases[1].duration_ms, 15);
  EXPECT_DOUBLE_EQ(r.phases[2].duration_ms, 10);
}

TEST(MarkersRunMarkers, DuplicatePhaseIsMalformedAndTheFirstIsKept) {
  RunMarkers markers(nullptr);
  markers.on_marker_line(phase_line("load", kSpawn + 10 * kMs));
  markers.on_marker_line(phase_line("load", kSpawn + 20 * kMs));
  EXPECT_EQ(markers.malformed(), 1);
  EXPECT_THAT(markers.last_problem(), HasSubstr("phase \"load\" reported twice"));
  RunRecord r = filled(markers);
  ASSERT_EQ(r.phases.size(), 1u);
  EXPECT_DOUBLE_EQ(r.phases[0].end_ms, 10);
  EXPECT_EQ(r.malformed_markers, 1);
}

TEST(MarkersRunMarkers, MalformedLinesAreCountedWithTheLastReason) {
  RunMarkers markers(nullptr);
  markers.on_marker_line("not json");
  markers.on_marker_line(R"({"v":2,"t":1,"kind":"phase","name":"p"})");
  EXPECT_EQ(markers.malformed(), 2);
  EXPECT_THAT(markers.last_problem(), HasSubstr("version 2"));
  EXPECT_EQ(filled(markers).malformed_markers, 2);
}

TEST(MarkersRunMarkers, MetricChunksAreAppended) {
  RunMarkers markers(nullptr);
  markers.on_marker_line(metric_line("latency", "ms", "1,2"));
  markers.on_marker_line(metric_line("tokens", "", "7"));
  markers.on_marker_line(metric_line("latency", "ms", "3"));
  RunRecord r = filled(markers);
  ASSERT_EQ(r.metrics.size(), 2u);
  EXPECT_EQ(r.metrics[0].name, "latency");
  EXPECT_EQ(r.metrics[0].unit, "ms");
  EXPECT_THAT(r.metrics[0].values, ElementsAre(1.0, 2.0, 3.0));
  EXPECT_THAT(r.metrics[1].values, ElementsAre(7.0));
}

TEST(MarkersRunMarkers, MetricUnitComesFromTheFirstChunkThatHasOne) {
  RunMarkers markers(nullptr);
  markers.on_marker_line(metric_line("latency", "", "1"));
  markers.on_marker_line(metric_line("latency", "ms", "2"));
  markers.on_marker_line(metric_line("latency", "s", "3"));
  RunRecord r = filled(markers);
  ASSERT_EQ(r.metrics.size(), 1u);
  EXPECT_EQ(r.metrics[0].unit, "ms");
}

TEST(MarkersRunMarkers, InfoKeepsTheLatestValue) {
  RunMarkers markers(nullptr);
  markers.on_marker_line(R"({"v":1,"t":1,"kind":"info","name":"threads","value":2})");
  markers.on_marker_line(R"({"v":1,"t":2,"kind":"info","name":"threads","value":4})");
  markers.on_marker_line(R"({"v":1,"t":2,"kind":"info","name":"device","value":"cpu"})");
  RunRecord r = filled(markers);
  EXPECT_EQ(r.info.at("threads"), 4);
  EXPECT_EQ(r.info.at("device"), "cpu");
}

TEST(MarkersRunMarkers, StdoutMarkerLinesAreParsedAndHidden) {
  RunMarkers markers(nullptr);
  EXPECT_FALSE(markers.on_output_line("@coldbench " + phase_line("load", kSpawn + 3 * kMs),
                                      kSpawn + 50 * kMs));
  EXPECT_TRUE(markers.on_output_line("ordinary output", kSpawn));
  EXPECT_TRUE(markers.on_output_line("@coldbench" + phase_line("x", kSpawn),
                                     kSpawn));  // no space: not a marker
  EXPECT_TRUE(markers.on_output_line(" @coldbench " + phase_line("y", kSpawn), kSpawn));
  // A broken marker line is still the harness's, not the program's output.
  EXPECT_FALSE(markers.on_output_line("@coldbench {broken", kSpawn));
  RunRecord r = filled(markers);
  ASSERT_EQ(r.phases.size(), 1u);
  EXPECT_EQ(r.phases[0].name, "load");
  EXPECT_DOUBLE_EQ(r.phases[0].end_ms, 3);  // the marker's own time, not the arrival time
  EXPECT_EQ(r.malformed_markers, 1);
}

TEST(MarkersRunMarkers, RegexPhaseTakesTheFirstMatchingLine) {
  auto phase_rules = rules({{RuleKind::Phase, "ready=Server ready"}});
  RunMarkers markers(&phase_rules);
  EXPECT_TRUE(markers.on_output_line("starting", kSpawn + 1 * kMs));
  EXPECT_TRUE(markers.on_output_line("Server ready on :8080", kSpawn + 40 * kMs));
  EXPECT_TRUE(markers.on_output_line("Server ready again", kSpawn + 90 * kMs));
  RunRecord r = filled(markers);
  ASSERT_EQ(r.phases.size(), 1u);
  EXPECT_EQ(r.phases[0].name, "ready");
  EXPECT_EQ(r.phases[0].source, PhaseSource::Regex);
  EXPECT_DOUBLE_EQ(r.phases[0].end_ms, 40);
  EXPECT_EQ(r.malformed_markers, 0);  // a repeated match is not a protocol error
}

TEST(MarkersRunMarkers, RegexMetricCollectsEveryMatch) {
  auto metric_rules = rules({{RuleKind::Metric, R"(latency=latency: ([-0-9.e]+) ms)"}});
  RunMarkers markers(&metric_rules);
  markers.on_output_line("latency: 1.5 ms", kSpawn);
  markers.on_output_line("unrelated", kSpawn);
  markers.on_output_line("latency: 2.5 ms", kSpawn);
  markers.on_output_line("latency: 1e-3 ms", kSpawn);
  RunRecord r = filled(markers);
  ASSERT_EQ(r.metrics.size(), 1u);
  EXPECT_EQ(r.metrics[0].name, "latency");
  EXPECT_THAT(r.metrics[0].values, ElementsAre(1.5, 2.5, 0.001));
}

TEST(MarkersRunMarkers, RegexMetricWithNonNumericCaptureIsMalformed) {
  auto metric_rules = rules({{RuleKind::Metric, R"(lat=lat: (\S*))"}});
  RunMarkers markers(&metric_rules);
  markers.on_output_line("lat: fast", kSpawn);
  EXPECT_THAT(markers.last_problem(), HasSubstr("--metric lat: captured 'fast' is not a number"));
  markers.on_output_line("lat: 12ms", kSpawn);
  markers.on_output_line("lat: ", kSpawn);
  markers.on_output_line("lat: 4", kSpawn);
  RunRecord r = filled(markers);
  EXPECT_EQ(r.malformed_markers, 3);
  ASSERT_EQ(r.metrics.size(), 1u);
  EXPECT_THAT(r.metrics[0].values, ElementsAre(4.0));
}

TEST(MarkersRunMarkers, RegexMetricRejectsNonFiniteCaptures) {
  // strtod reads "nan" and "inf"; a NaN in a metric breaks the statistics and
  // the JSON (written as null, unreadable as a number).
  auto metric_rules = rules({{RuleKind::Metric, R"(lat=lat: (\S+))"}});
  RunMarkers markers(&metric_rules);
  for (const char* line : {"lat: nan", "lat: inf", "lat: -Infinity", "lat: 1e999"}) {
    markers.on_output_line(line, kSpawn);
  }
  RunRecord r = filled(markers);
  EXPECT_EQ(r.malformed_markers, 4);
  EXPECT_THAT(r.metrics, IsEmpty());
}

TEST(MarkersRunMarkers, PhaseAndMetricRulesApplyToTheSameLine) {
  auto both =
      rules({{RuleKind::Phase, "first=step ([0-9]+)"}, {RuleKind::Metric, "step=step ([0-9]+)"}});
  RunMarkers markers(&both);
  markers.on_output_line("step 1", kSpawn + 2 * kMs);
  markers.on_output_line("step 2", kSpawn + 4 * kMs);
  RunRecord r = filled(markers);
  ASSERT_EQ(r.phases.size(), 1u);
  EXPECT_DOUBLE_EQ(r.phases[0].end_ms, 2);
  ASSERT_EQ(r.metrics.size(), 1u);
  EXPECT_THAT(r.metrics[0].values, ElementsAre(1.0, 2.0));
}

TEST(MarkersRunMarkers, PhaseFarFromSpawnIsDroppedAndCounted) {
  RunMarkers markers(nullptr);
  markers.on_marker_line(phase_line("ok", kSpawn + 5 * kMs));
  markers.on_marker_line(phase_line("wall_seconds", 1'700'000'000));  // time.time() as "ns"
  markers.on_marker_line(phase_line("wall_ns", 1'700'000'000'000'000'000LL));  // time.time_ns()
  markers.on_marker_line(phase_line("zero", 0));
  EXPECT_EQ(markers.malformed(), 0);  // only fill() knows the spawn time
  RunRecord r = filled(markers);
  ASSERT_EQ(r.phases.size(), 1u);
  EXPECT_EQ(r.phases[0].name, "ok");
  EXPECT_DOUBLE_EQ(r.phases[0].duration_ms, 5);
  EXPECT_EQ(r.malformed_markers, 3);
}

TEST(MarkersRunMarkers, PhaseStampedBeforeSpawnIsMalformedNotNegative) {
  // The audit's case: "t":0 half an hour after boot was shown as -1799.678 s.
  // The spawn time is read in the child right before exec, so nothing the
  // workload stamps can be earlier; such a time is not this run's clock.
  constexpr int64_t kHalfHourAfterBoot = 1800LL * 1'000'000'000;
  RunMarkers markers(nullptr);
  markers.on_marker_line(phase_line("zero", 0));
  markers.on_marker_line(phase_line("early", kHalfHourAfterBoot - 1 * kMs));
  markers.on_marker_line(phase_line("ok", kHalfHourAfterBoot + 3 * kMs));
  RunRecord r = filled(markers, kHalfHourAfterBoot);
  ASSERT_EQ(r.phases.size(), 1u);
  EXPECT_EQ(r.phases[0].name, "ok");
  EXPECT_DOUBLE_EQ(r.phases[0].duration_ms, 3);
  EXPECT_EQ(r.malformed_markers, 2);
}

TEST(MarkersRunMarkers, FillReplacesWhatTheRecordHad) {
  RunMarkers markers(nullptr);
  markers.on_marker_line(phase_line("p", kSpawn + kMs));
  RunRecord r;
  r.phases = {PhaseRecord{"stale", 1, 1}};
  r.metrics = {MetricRecord{"stale", "", {1}}};
  r.malformed_markers = 9;
  markers.fill(r, kSpawn);
  ASSERT_EQ(r.phases.size(), 1u);
  EXPECT_EQ(r.phases[0].name, "p");
  EXPECT_THAT(r.metrics, IsEmpty());
  EXPECT_EQ(r.malformed_markers, 0);
}

}  // namespace
}  // namespace coldbench::markers
