#include "torch/serve/leak_watch.hpp"

#include <gtest/gtest.h>

#include <random>

namespace coldbench::workload::leak {
namespace {

LeakParams params() {
  LeakParams p;
  p.sample_ms = 100;
  p.window_s = 10;
  p.threshold_bytes_per_s = 100'000;
  p.clear_after = 3;
  return p;
}

// 100 ms samples of base + slope * t + noise (page-sized jitter).
std::vector<Sample> series(double seconds, double slope, double noise, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> jitter(0, noise);
  std::vector<Sample> out;
  for (double t = 0; t <= seconds + 1e-9; t += 0.1)
    out.push_back({t, 200e6 + slope * t + (noise > 0 ? jitter(rng) : 0)});
  return out;
}

struct Seen {
  int raised = 0, cleared = 0;
  double first_raise_t = -1;
};
Seen feed(LeakJudge& judge, const std::vector<Sample>& samples) {
  Seen seen;
  for (const Sample& s : samples) {
    anomaly::Transition t = judge.add(s);
    if (t == anomaly::Transition::kRaised && seen.raised++ == 0) seen.first_raise_t = s.t_s;
    if (t == anomaly::Transition::kCleared) ++seen.cleared;
  }
  return seen;
}

TEST(LeakWatch, FitLineRecoversSlope) {
  auto fit = fit_line({{0, 10}, {1, 12}, {2, 14}, {3, 16}});
  ASSERT_TRUE(fit);
  EXPECT_DOUBLE_EQ(fit->slope, 2);
  EXPECT_DOUBLE_EQ(fit->intercept, 10);
  EXPECT_DOUBLE_EQ(fit->r2, 1);
  EXPECT_FALSE(fit_line({{1, 5}}));
  EXPECT_FALSE(fit_line({{1, 5}, {1, 6}}));  // no time spread
}

TEST(LeakWatch, LinearGrowthAlertsOnceTheWindowIsFull) {
  LeakJudge judge(params());
  Seen seen = feed(judge, series(30, 1e6, 50'000, 1));  // 1 MB/s, 10x the threshold
  EXPECT_EQ(seen.raised, 1);
  // Not before the window (10 s, 90% counts as full) has filled.
  EXPECT_GE(seen.first_raise_t, 9.0 - 1e-9);
  EXPECT_LE(seen.first_raise_t, 10.0 + 1e-9);
  EXPECT_TRUE(judge.state().active);
  EXPECT_NEAR(judge.state().slope, 1e6, 2e4);
}

TEST(LeakWatch, FlatWithNoiseNeverAlertsAcrossSeeds) {
  for (unsigned seed = 1; seed <= 30; ++seed) {
    LeakJudge judge(params());
    // 200 kB of noise per sample, twice what the threshold grows in a second.
    Seen seen = feed(judge, series(120, 0, 200'000, seed));
    EXPECT_EQ(seen.raised, 0) << "seed " << seed;
    EXPECT_TRUE(judge.state().ready);
  }
}

TEST(LeakWatch, OneStepIsNotALeak) {
  // 50 MB at once (a model loaded, an arena grown): the slope over a window
  // that holds the step is far above the threshold, but only one quarter
  // of the window grows, so it is not sustained growth.
  LeakJudge judge(params());
  std::vector<Sample> samples = series(60, 0, 20'000, 2);
  for (Sample& s : samples) {
    if (s.t_s >= 25) s.rss_bytes += 50e6;
  }
  Seen seen = feed(judge, samples);
  EXPECT_EQ(seen.raised, 0);
}

TEST(LeakWatch, GrowthBelowTheThresholdDoesNotAlert) {
  LeakJudge judge(params());
  EXPECT_EQ(feed(judge, series(60, 50'000, 1'000, 3)).raised, 0);  // half the threshold
}

TEST(LeakWatch, ClearsWhenGrowthStops) {
  LeakJudge judge(params());
  std::vector<Sample> samples = series(60, 1e6, 10'000, 4);
  for (Sample& s : samples) {
    if (s.t_s > 20) s.rss_bytes = 200e6 + 20e6;  // the leak stops at 20 s
  }
  Seen seen = feed(judge, samples);
  EXPECT_EQ(seen.raised, 1);
  EXPECT_EQ(seen.cleared, 1);
  EXPECT_FALSE(judge.state().active);
  EXPECT_EQ(judge.alerts(), 1);
}

TEST(LeakWatch, SlopeIsZeroUntilTheWindowIsFull) {
  LeakJudge judge(params());
  for (const Sample& s : series(5, 1e6, 0, 5)) judge.add(s);
  EXPECT_FALSE(judge.state().ready);
  EXPECT_EQ(judge.state().slope, 0);
}

}  // namespace
}  // namespace coldbench::workload::leak
