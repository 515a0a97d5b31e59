#include "noise/noise_rules.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

namespace coldbench::noise {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A run of `wall_ms` whose workload used `workload_ms` of CPU, on `cpus` CPUs
// where other processes used `other_ms`, with load `load` at its start.
RunRecord run_with(double wall_ms, double workload_ms, int cpus, double other_ms, double load,
                   double steal_fraction = 0) {
  RunRecord run;
  run.wall_ms = wall_ms;
  run.usage.user_ms = workload_ms;
  MachineNoise m;
  m.cpus = cpus;
  m.interval_ms = wall_ms;
  m.load_1m_start = load;
  m.load_1m_end = load;
  m.other_cpu_ms = other_ms;
  m.other_cpu_fraction = other_ms / (wall_ms * cpus);
  m.steal_fraction = steal_fraction;
  m.iowait_fraction = 0;
  run.machine = m;
  return run;
}

std::vector<const RunRecord*> pointers(const std::vector<RunRecord>& runs) {
  std::vector<const RunRecord*> out;
  for (const auto& r : runs) out.push_back(&r);
  return out;
}

TEST(BusyMachine, AQuietMachineGetsNoWarning) {
  std::vector<RunRecord> runs(10, run_with(500, 450, 2, 20, 0.3));
  auto e = assess_machine(pointers(runs));
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->busy);
  EXPECT_EQ(e->warning, "");
  EXPECT_NEAR(*e->other_cpu_fraction, 0.02, 1e-12);
}

TEST(BusyMachine, OtherProcessesAboveTheThresholdWarnAndNameTheEvidence) {
  std::vector<RunRecord> runs(10, run_with(500, 450, 2, 450, 0.3));  // others: 45% of 2 CPUs
  auto e = assess_machine(pointers(runs));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->busy);
  EXPECT_THAT(e->warning, HasSubstr("machine busy: "));
  EXPECT_THAT(e->warning, HasSubstr("other processes used 45% of the CPUs during the runs"));
  EXPECT_THAT(e->warning,
              HasSubstr("load average 0.30 on 2 CPUs at run start (median over 10 runs"));
}

TEST(BusyMachine, LoadBeyondTheWorkloadsOwnWarns) {
  // Load 2.3 on 2 CPUs while the workload kept 0.1 CPU busy: others are queued.
  std::vector<RunRecord> runs(10, run_with(200, 20, 2, 0, 2.3));
  auto e = assess_machine(pointers(runs));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->busy);
  EXPECT_THAT(e->warning, HasSubstr("load average 2.30 on 2 CPUs at run start"));
  EXPECT_THAT(e->warning, HasSubstr("the workload itself accounts for about 0.10"));
}

TEST(BusyMachine, TheWorkloadsOwnLoadDoesNotWarn) {
  // Back-to-back runs of a 2-thread workload raise the load average to ~2 by themselves.
  std::vector<RunRecord> runs(10, run_with(1000, 1950, 2, 0, 2.2));
  auto e = assess_machine(pointers(runs));
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->busy) << e->warning;
}

TEST(BusyMachine, StealAboveTheThresholdWarns) {
  std::vector<RunRecord> runs(10, run_with(500, 450, 2, 0, 0.2, 0.08));
  auto e = assess_machine(pointers(runs));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->busy);
  EXPECT_THAT(e->warning, HasSubstr("steal 8.0%"));
}

TEST(BusyMachine, TooLittleSampledCpuTimeLeavesTheCpuFractionsUnjudged) {
  // 5 runs of 20 ms on 2 CPUs: 200 ms sampled, 20 ticks; one tick more reads as 5%.
  std::vector<RunRecord> runs(5, run_with(20, 10, 2, 30, 0.2));
  auto e = assess_machine(pointers(runs));
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->other_cpu_fraction);
  EXPECT_DOUBLE_EQ(*e->sampled_cpu_ms, 200);
  EXPECT_FALSE(e->busy);
}

TEST(BusyMachine, RunsWithoutAMachineRecordGiveNoEvidence) {
  std::vector<RunRecord> runs(3);
  EXPECT_FALSE(assess_machine(pointers(runs)));
}

TEST(RunOrderTrend, ARisingSeriesWarnsInWords) {
  std::vector<double> walls;
  for (int i = 0; i < 20; ++i) walls.push_back(100 + 1.3 * i + (i % 3) * 0.5);
  auto t = assess_trend(walls, "wall time", "ms");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->drifted);
  EXPECT_THAT(t->warning, HasSubstr("wall time rises with run order (Mann-Kendall p = "));
  EXPECT_THAT(t->warning, HasSubstr("Sen's slope +1.3 ms/run over 20 runs"));
  EXPECT_THAT(t->warning, HasSubstr("the machine or the workload drifted"));
}

TEST(RunOrderTrend, AFallingSeriesSaysFalls) {
  std::vector<double> walls;
  for (int i = 0; i < 12; ++i) walls.push_back(200 - 3.0 * i);
  auto t = assess_trend(walls, "wall time", "ms");
  ASSERT_TRUE(t);
  EXPECT_THAT(t->warning, HasSubstr("wall time falls with run order"));
}

TEST(RunOrderTrend, IidTimesDoNotWarn) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal(100, 5);
  std::vector<double> walls;
  for (int i = 0; i < 30; ++i) walls.push_back(normal(rng));
  auto t = assess_trend(walls, "wall time", "ms");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->drifted) << t->warning;
}

TEST(RunOrderTrend, FewerRunsThanTheMinimumAreNotTested) {
  EXPECT_FALSE(assess_trend(std::vector<double>{1, 2, 3, 4, 5, 6, 7}, "wall time", "ms"));
}

TEST(RunOrderTrend, ADriftTooSmallToMatterDoesNotWarn) {
  // Perfectly monotonic, but 0.1% from first to last run.
  std::vector<double> walls;
  for (int i = 0; i < 30; ++i) walls.push_back(1000 + 0.03 * i);
  auto t = assess_trend(walls, "wall time", "ms");
  ASSERT_TRUE(t);
  EXPECT_LT(t->test.p_value, 0.001);
  EXPECT_FALSE(t->drifted);
}

TEST(RunOrderTrend, ManyRunsAreTestedAsBlockMedians) {
  std::vector<double> walls;
  for (int i = 0; i < 5000; ++i) walls.push_back(100 + 0.01 * i + (i % 7));
  auto t = assess_trend(walls, "wall time", "ms");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->block, 3);
  EXPECT_EQ(t->test.n, 1666);
  EXPECT_TRUE(t->drifted);
  EXPECT_NEAR(t->slope_per_run, 0.01, 0.005);
}

}  // namespace
}  // namespace coldbench::noise
