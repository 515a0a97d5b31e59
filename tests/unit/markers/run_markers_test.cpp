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
using ::testing::SizeIs;

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

RunRecord filled(RunMarkers& markers, int64_t spawn_ns = kSpawn) {
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

std::string info_line(const std::string& name, int value) {
  return fmt::format(R"({{"v":1,"t":{},"kind":"info","name":"{}","value":{}}})", kSpawn, name, value);
}

// Found in review: 100,000 distinct names made the handling quadratic. A run
// keeps kMaxDistinctNames names of each kind; the rest are malformed and the
// run says why in its warnings.
TEST(MarkersRunMarkers, DistinctNamesPastTheCapAreMalformedAndWarned) {
  RunMarkers markers(nullptr);
  const int extra = 7;
  for (std::size_t i = 0; i < kMaxDistinctNames + extra; ++i) {
    markers.on_marker_line(phase_line(fmt::format("p{}", i), kSpawn + int64_t(i) * 1000));
    markers.on_marker_line(metric_line(fmt::format("m{}", i), "ms", "1"));
    markers.on_marker_line(info_line(fmt::format("i{}", i), 1));
  }
  // Names already known still count once the cap is reached.
  markers.on_marker_line(metric_line("m0", "ms", "2"));
  markers.on_marker_line(info_line("i0", 5));
  RunRecord r = filled(markers);
  EXPECT_THAT(r.phases, SizeIs(kMaxDistinctNames));
  EXPECT_THAT(r.metrics, SizeIs(kMaxDistinctNames));
  EXPECT_EQ(r.info.size(), kMaxDistinctNames);
  EXPECT_EQ(r.malformed_markers, 3 * extra);
  EXPECT_THAT(r.metrics[0].values, ElementsAre(1.0, 2.0));
  EXPECT_EQ(r.info.at("i0"), 5);
  ASSERT_THAT(r.warnings, SizeIs(3));
  EXPECT_THAT(r.warnings[0], HasSubstr("more than 1000 distinct phase names"));
  EXPECT_THAT(r.warnings[1], HasSubstr("more than 1000 distinct metric names"));
  EXPECT_THAT(r.warnings[2], HasSubstr("more than 1000 distinct info names"));
}

// Linear handling, checked by counting work rather than timing it: every
// name lookup compares a bounded number of stored names, however many there are.
TEST(MarkersRunMarkers, NameLookupsDoBoundedWorkPerMarker) {
  RunMarkers markers(nullptr);
  const int names = static_cast<int>(kMaxDistinctNames);
  const int rounds = 10;
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < names; ++i) markers.on_marker_line(phase_line(fmt::format("p{}", i), kSpawn + i));
    for (int i = 0; i < names; ++i) markers.on_marker_line(metric_line(fmt::format("m{}", i), "", "1"));
  }
  EXPECT_EQ(markers.malformed(), (rounds - 1) * names);  // the repeated phases
  const std::size_t lookups = 2 * rounds * names;
  // A linear scan would compare ~names/2 = 500 entries per lookup.
  EXPECT_LE(markers.entries_examined(), 3 * lookups) << "per lookup: " << markers.entries_examined() / lookups;
}

TEST(MarkersRunMarkers, InfoValuesOfARunAreBoundedInTotal) {
  RunMarkers markers(nullptr);
  const std::string big = "\"" + std::string(60'000, 'x') + "\"";  // 60,002 bytes serialised
  auto info = [&](const std::string& name, const std::string& value) {
    markers.on_marker_line(R"({"v":1,"t":1,"kind":"info","name":")" + name + R"(","value":)" + value + "}");
  };
  for (int i = 0; i < 20; ++i) info(fmt::format("i{}", i), big);
  EXPECT_EQ(markers.malformed(), 3);  // 17 x 60,002 bytes fit in 1 MiB, 18 do not
  EXPECT_THAT(markers.last_problem(), HasSubstr("more than the limit of 1024 KiB"));
  info("i0", "1");  // replacing a value gives its room back
  info("i17", big);
  RunRecord r = filled(markers);
  EXPECT_EQ(r.malformed_markers, 3);
  EXPECT_EQ(r.info.size(), 18u);
  EXPECT_EQ(r.info.at("i0"), 1);
  EXPECT_EQ(r.info.count("i18"), 0u);
}

TEST(MarkersRunMarkers, MarkersAndRegexPhasesApplyInArrivalOrder) {
  // Marker lines are stored and parsed later; a regex match must still see
  // the markers that arrived before its line.
  auto phase_rules = rules({{RuleKind::Phase, "ready=ready"}});
  RunMarkers marker_first(&phase_rules);
  marker_first.on_marker_line(phase_line("ready", kSpawn + 10 * kMs));
  marker_first.on_output_line("ready", kSpawn + 40 * kMs);
  RunRecord a = filled(marker_first);
  ASSERT_THAT(a.phases, SizeIs(1));
  EXPECT_EQ(a.phases[0].source, PhaseSource::Marker);
  EXPECT_EQ(a.malformed_markers, 0);

  RunMarkers regex_first(&phase_rules);
  regex_first.on_output_line("ready", kSpawn + 40 * kMs);
  regex_first.on_marker_line(phase_line("ready", kSpawn + 10 * kMs));
  RunRecord b = filled(regex_first);
  ASSERT_THAT(b.phases, SizeIs(1));
  EXPECT_EQ(b.phases[0].source, PhaseSource::Regex);
  EXPECT_EQ(b.malformed_markers, 1);  // the marker repeated a phase
}

TEST(MarkersRunMarkers, ManyStoredLinesAreParsedInBatches) {
  // More than a batch of marker text: all of it counts, in order.
  RunMarkers markers(nullptr);
  const std::string padding(1000, 'x');
  const std::size_t lines = kParseBatchBytes / 1000 + 100;
  for (std::size_t i = 0; i < lines; ++i) {
    markers.on_marker_line(fmt::format(R"({{"v":1,"t":{},"kind":"metric","name":"m","values":[{}],"pad":"{}"}})",
                                       kSpawn, i, padding));
  }
  RunRecord r = filled(markers);
  ASSERT_THAT(r.metrics, SizeIs(1));
  ASSERT_THAT(r.metrics[0].values, SizeIs(lines));
  EXPECT_EQ(r.metrics[0].values.back(), double(lines - 1));
}

TEST(MarkersRunMarkers, FirstMalformedLineIsAWarningNamingTheProblem) {
  RunMarkers markers(nullptr);
  markers.on_marker_line(phase_line("ok", kSpawn + kMs));
  markers.on_marker_line(R"({"v":1,"t":5,"kind":"info","name":"deep","value":)" + std::string(100'000, '[') +
                         std::string(100'000, ']') + "}");
  markers.on_marker_line("not json");
  RunRecord r = filled(markers);
  EXPECT_EQ(r.malformed_markers, 2);
  ASSERT_THAT(r.warnings, SizeIs(1));
  EXPECT_THAT(r.warnings[0], HasSubstr("first malformed marker: nested deeper than 64 levels"));
}

TEST(MarkersRunMarkers, ProblemsQuotingOutputAreShortValidUtf8) {
  auto metric_rules = rules({{RuleKind::Metric, R"(lat=lat: (\S+))"}});
  RunMarkers markers(&metric_rules);
  markers.on_output_line("lat: \xff\xfe" + std::string(100'000, 'z'), kSpawn);
  const std::string problem = markers.last_problem();
  EXPECT_THAT(problem, HasSubstr("--metric lat: captured '\xEF\xBF\xBD\xEF\xBF\xBDzzz"));
  EXPECT_LT(problem.size(), 400u);
  RunRecord r = filled(markers);
  ASSERT_THAT(r.warnings, SizeIs(1));
  EXPECT_THAT(r.warnings[0], HasSubstr("is not a number"));
}

TEST(MarkersRunMarkers, RulesSeeBytesThatAreNotUtf8AsReplacementCharacters) {
  auto both = rules({{RuleKind::Phase, "p=a.*b"}, {RuleKind::Metric, "m=v=([^ ]*) "}});
  RunMarkers markers(&both);
  markers.on_output_line("a\xff\xfe" "b v=\xc3 ", kSpawn + kMs);
  RunRecord r = filled(markers);
  ASSERT_THAT(r.phases, SizeIs(1));
  EXPECT_EQ(r.phases[0].name, "p");
  ASSERT_THAT(r.warnings, SizeIs(1));
  EXPECT_THAT(r.warnings[0], HasSubstr("captured '\xEF\xBF\xBD' is not a number"));
}

TEST(MarkersRunMarkers, PhaseRuleStopsMatchingAfterItsFirstLine) {
  auto phase_rules = rules({{RuleKind::Phase, "ready=ready"}});
  RunMarkers markers(&phase_rules);
  markers.on_output_line("ready 1", kSpawn + 1 * kMs);
  markers.on_output_line("ready 2", kSpawn + 2 * kMs);
  RunRecord r = filled(markers);
  ASSERT_THAT(r.phases, SizeIs(1));
  EXPECT_DOUBLE_EQ(r.phases[0].end_ms, 1);
}

}  // namespace
}  // namespace coldbench::markers
