#include "torch/serve/anomaly.hpp"

#include <gtest/gtest.h>

#include <random>

namespace coldbench::workload::anomaly {
namespace {

const DetectorKind kAll[] = {DetectorKind::kBaseline3Sigma, DetectorKind::kEwma,
                             DetectorKind::kMad};

// Small counts so the tests are short; the logic is the same at the defaults.
DetectorParams small_params() {
  DetectorParams p;
  p.baseline = 50;
  p.min_count = 30;
  p.mad_window = 60;
  p.hysteresis = {5, 10, 20};
  return p;
}

struct Feed {
  int raised = 0, cleared = 0;
  int first_raise_at = -1, first_clear_at = -1;  // index into the series
};

Feed feed(LatencyWatch& watch, const std::vector<double>& series, int offset = 0) {
  Feed result;
  for (size_t i = 0; i < series.size(); ++i) {
    Transition t = watch.observe(series[i]);
    if (t == Transition::kRaised && result.raised++ == 0)
      result.first_raise_at = offset + static_cast<int>(i);
    if (t == Transition::kCleared && result.cleared++ == 0)
      result.first_clear_at = offset + static_cast<int>(i);
  }
  return result;
}

std::vector<double> steady(unsigned seed, size_t n, double mean = 1.0, double sd = 0.05) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(mean, sd);
  std::vector<double> series;
  for (size_t i = 0; i < n; ++i) series.push_back(std::max(0.01, normal(rng)));
  return series;
}

TEST(LatencyAnomaly, SteadySeriesNeverAlertsAcrossSeeds) {
  for (DetectorKind kind : kAll) {
    for (double floor : {0.0, 0.1}) {  // with no floor the sd alone sets the threshold
      for (unsigned seed = 1; seed <= 40; ++seed) {
        DetectorParams p = small_params();
        p.floor_fraction = floor;
        LatencyWatch watch(kind, p);
        Feed f = feed(watch, steady(seed, 3000));
        EXPECT_EQ(f.raised, 0) << detector_name(kind) << " seed " << seed << " floor " << floor;
        EXPECT_TRUE(watch.ready());
      }
    }
  }
}

TEST(LatencyAnomaly, OneOutlierDoesNotAlert) {
  for (DetectorKind kind : kAll) {
    LatencyWatch watch(kind, small_params());
    std::vector<double> series = steady(7, 200);
    series[150] = 100.0;  // one request 100x slower
    Feed f = feed(watch, series);
    EXPECT_EQ(f.raised, 0) << detector_name(kind);
    EXPECT_FALSE(watch.active());
    // And four outliers in ten (one short of raise_after) still do not.
    LatencyWatch again(kind, small_params());
    series = steady(8, 200);
    for (int i : {150, 152, 155, 158}) series[static_cast<size_t>(i)] = 50.0;
    EXPECT_EQ(feed(again, series).raised, 0) << detector_name(kind);
  }
}

TEST(LatencyAnomaly, StepAlertsOnItsRaiseAfterthPoint) {
  for (DetectorKind kind : kAll) {
    DetectorParams p = small_params();
    LatencyWatch watch(kind, p);
    std::vector<double> series = steady(3, 200);
    for (size_t i = 120; i < series.size(); ++i) series[i] *= 3;  // the step at index 120
    Feed f = feed(watch, series);
    EXPECT_EQ(f.raised, 1) << detector_name(kind);
    EXPECT_EQ(f.first_raise_at, 120 + p.hysteresis.raise_after - 1) << detector_name(kind);
  }
}

TEST(LatencyAnomaly, ClearsAfterClearAfterNormalPointsInARow) {
  for (DetectorKind kind : kAll) {
    DetectorParams p = small_params();
    LatencyWatch watch(kind, p);
    std::vector<double> series = steady(4, 300);
    // Six slow requests (the EWMA starts taking a 3x level as normal after
    // about seven), then normal again.
    for (size_t i = 120; i < 126; ++i) series[i] *= 3;
    Feed f = feed(watch, series);
    EXPECT_EQ(f.raised, 1) << detector_name(kind);
    EXPECT_EQ(f.cleared, 1) << detector_name(kind);
    EXPECT_EQ(f.first_clear_at, 126 + p.hysteresis.clear_after - 1) << detector_name(kind);
    EXPECT_FALSE(watch.active());
    EXPECT_EQ(watch.alerts(), 1);
  }
}

TEST(LatencyAnomaly, NothingIsJudgedBeforeTheMinimumCount) {
  for (DetectorKind kind : kAll) {
    DetectorParams p = small_params();
    const int needed = kind == DetectorKind::kBaseline3Sigma ? p.baseline : p.min_count;
    LatencyWatch watch(kind, p);
    // Wild values while collecting: never an alert, never ready early.
    for (int i = 0; i < needed - 1; ++i) {
      EXPECT_EQ(watch.observe(i % 2 ? 1.0 : 1000.0), Transition::kNone);
      EXPECT_FALSE(watch.ready()) << detector_name(kind) << " at " << i;
    }
    watch.observe(1.0);
    EXPECT_TRUE(watch.ready()) << detector_name(kind);
  }
}

TEST(LatencyAnomaly, FasterRequestsAreNotAnomalies) {
  for (DetectorKind kind : kAll) {
    LatencyWatch watch(kind, small_params());
    std::vector<double> series = steady(5, 200);
    for (size_t i = 120; i < series.size(); ++i) series[i] /= 3;
    EXPECT_EQ(feed(watch, series).raised, 0) << detector_name(kind);
  }
}

// The EWMA flags a change and then takes the new level as normal; the
// baseline keeps comparing with the start, so a lasting step stays alerted.
TEST(LatencyAnomaly, EwmaAdaptsToALastingStepBaselineDoesNot) {
  DetectorParams p = small_params();
  LatencyWatch ewma(DetectorKind::kEwma, p), baseline(DetectorKind::kBaseline3Sigma, p);
  std::vector<double> series = steady(6, 2000);
  for (size_t i = 120; i < series.size(); ++i) series[i] *= 3;
  Feed e = feed(ewma, series), b = feed(baseline, series);
  EXPECT_EQ(e.raised, 1);
  EXPECT_EQ(e.cleared, 1);
  EXPECT_FALSE(ewma.active());
  EXPECT_EQ(b.raised, 1);
  EXPECT_EQ(b.cleared, 0);
  EXPECT_TRUE(baseline.active());
}

TEST(LatencyAnomaly, ZeroSpreadBaselineDoesNotFlagTinyChanges) {
  // Identical latencies give sd 0: the floor keeps 1% slower from being "anomalous".
  LatencyWatch watch(DetectorKind::kBaseline3Sigma, small_params());
  std::vector<double> series(200, 1.0);
  for (size_t i = 100; i < series.size(); ++i) series[i] = 1.01;
  EXPECT_EQ(feed(watch, series).raised, 0);
}

TEST(LatencyAnomaly, ParseDetectors) {
  auto all = parse_detectors("baseline_3sigma, ewma,mad,ewma");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 3u);
  auto none = parse_detectors("none");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto bad = parse_detectors("ewma,3sigma");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'3sigma'"), std::string::npos);
  EXPECT_NE(bad.error().message.find("fix:"), std::string::npos);
}

}  // namespace
}  // namespace coldbench::workload::anomaly
