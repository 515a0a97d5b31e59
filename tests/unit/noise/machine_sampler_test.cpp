#include "noise/machine_sampler.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "../cache/temp_dir.hpp"
#include "core/clock.hpp"

namespace coldbench::noise {
namespace {

using ::testing::HasSubstr;

MachineSample sample_at(int64_t ms, CpuTimes all, int cpus, double harness_ms) {
  MachineSample s;
  s.monotonic_ns = ms * 1'000'000;
  s.stat = ProcStat{all, cpus};
  s.harness_cpu_ms = harness_ms;
  return s;
}

TEST(MachineNoise, OtherProcessesAreMachineBusyMinusWorkloadMinusHarness) {
  CpuTimes a{.user = 1000, .system = 500, .idle = 4000, .iowait = 10, .steal = 5};
  CpuTimes b = a;
  b.user += 250;   // 100 ticks/s: 2500 ms
  b.system += 50;  // 500 ms
  b.steal += 40;   // 400 ms
  b.iowait += 20;  // 200 ms
  MachineSample start = sample_at(1000, a, 4, 10), end = sample_at(2000, b, 4, 110);
  start.load_1m = 2.5;
  end.load_1m = 2.7;
  auto m = noise_between(start, end, /*workload_cpu_ms=*/1000, 100);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cpus, 4);
  EXPECT_DOUBLE_EQ(*m->interval_ms, 1000);
  EXPECT_DOUBLE_EQ(*m->busy_cpu_ms, 3000);
  EXPECT_DOUBLE_EQ(*m->harness_cpu_ms, 100);
  EXPECT_DOUBLE_EQ(*m->other_cpu_ms, 1900);                 // 3000 - 1000 - 100
  EXPECT_DOUBLE_EQ(*m->other_cpu_fraction, 1900.0 / 4000);  // of interval x CPUs
  EXPECT_DOUBLE_EQ(*m->steal_fraction, 0.1);
  EXPECT_DOUBLE_EQ(*m->iowait_fraction, 0.05);
  EXPECT_DOUBLE_EQ(*m->load_1m_start, 2.5);
  EXPECT_DOUBLE_EQ(*m->load_1m_end, 2.7);
}

TEST(MachineNoise, OtherCpuIsNeverNegativeWhenTicksRoundBelowTheWorkload) {
  CpuTimes a{.user = 1000, .idle = 1000};
  CpuTimes b = a;
  b.user += 1;  // 10 ms of ticks, while rusage says the workload used 14 ms
  auto m = noise_between(sample_at(0, a, 2, 0), sample_at(20, b, 2, 0), 14, 100);
  ASSERT_TRUE(m);
  EXPECT_DOUBLE_EQ(*m->other_cpu_ms, 0);
  EXPECT_DOUBLE_EQ(*m->other_cpu_fraction, 0);
}

TEST(MachineNoise, CountersThatWentBackwardsLeaveTheCpuFieldsAbsent) {
  CpuTimes a{.user = 1000, .idle = 1000};
  CpuTimes b{.user = 900, .idle = 1200};  // a CPU went offline: its counts left the sum
  MachineSample start = sample_at(0, a, 2, 0), end = sample_at(100, b, 2, 0);
  start.load_1m = 0.5;
  auto m = noise_between(start, end, 10, 100);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->cpus);
  EXPECT_FALSE(m->other_cpu_fraction);
  EXPECT_FALSE(m->steal_fraction);
  EXPECT_DOUBLE_EQ(*m->load_1m_start, 0.5);
}

TEST(MachineNoise, AChangedCpuCountLeavesTheCpuFieldsAbsent) {
  CpuTimes a{.user = 1000, .idle = 1000};
  CpuTimes b{.user = 1100, .idle = 1100};
  MachineSample start = sample_at(0, a, 2, 0), end = sample_at(100, b, 3, 0);
  start.load_1m = 0.5;
  auto m = noise_between(start, end, 10, 100);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->other_cpu_ms);
}

TEST(MachineNoise, NothingReadableIsNoRecordAtAll) {
  EXPECT_FALSE(noise_between(MachineSample{}, MachineSample{}, 10, 100));
}

TEST(MachineNoise, FrequencyIsTheMeanOfTheStartAndEndReadings) {
  MachineSample start, end;
  start.freq_mhz = {2000, 2200};
  end.freq_mhz = {2400, 2600};
  start.governor = "performance";
  auto m = noise_between(start, end, 0, 100);
  ASSERT_TRUE(m);
  EXPECT_DOUBLE_EQ(*m->cpu_freq_mhz, 2300);
  EXPECT_EQ(m->cpu_governor, "performance");
}

TEST(MachineSampler, ReadsAFixtureTree) {
  testing::TempDir dir;
  dir.write("proc/stat",
            "cpu  100 0 50 1000 3 0 1 2 0 0\ncpu0 50 0 25 500 1 0 0 1 0 0\ncpu1 50 0 25 500 2 0 1 "
            "1 0 0\n");
  dir.write("proc/loadavg", "1.50 1.00 0.50 2/100 999\n");
  dir.write("cpu/cpu0/cpufreq/scaling_cur_freq", "1800000\n");
  dir.write("cpu/cpu0/cpufreq/scaling_governor", "powersave\n");
  dir.write("cpu/cpu1/cpufreq/scaling_cur_freq", "2200000\n");
  dir.write("cpu/cpu1/cpufreq/scaling_governor", "performance\n");
  MachineSampler sampler(dir.file("proc"), dir.file("cpu"));
  MachineSample s = sampler.sample({0, 1}, MachineSampler::Moment::BeforeSpawn);
  ASSERT_TRUE(s.stat);
  EXPECT_EQ(s.stat->cpus, 2);
  EXPECT_EQ(s.stat->all.steal, 2u);
  EXPECT_DOUBLE_EQ(*s.load_1m, 1.5);
  EXPECT_THAT(s.freq_mhz, ::testing::ElementsAre(1800, 2200));
  EXPECT_EQ(s.governor, "powersave/performance");
  EXPECT_TRUE(s.problem.empty()) << s.problem;
  // After the reap the governor is not read again.
  EXPECT_EQ(sampler.sample({0, 1}, MachineSampler::Moment::AfterReap).governor, "");
}

TEST(MachineSampler, WithoutCpufreqFrequencyAndGovernorAreAbsentNotZero) {
  testing::TempDir dir;
  dir.write("proc/stat", "cpu 1 2 3 4\ncpu0 1 2 3 4\n");
  dir.write("proc/loadavg", "0.10 0.10 0.10 1/10 5\n");
  MachineSampler sampler(dir.file("proc"), dir.file("cpu"));
  MachineSample a = sampler.sample({0}, MachineSampler::Moment::BeforeSpawn);
  MachineSample b = sampler.sample({0}, MachineSampler::Moment::AfterReap);
  auto m = noise_between(a, b, 0, 100);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->cpu_freq_mhz);
  EXPECT_EQ(m->cpu_governor, "");
}

TEST(MachineSampler, MalformedProcFilesAreAProblemInWordsNotACrash) {
  testing::TempDir dir;
  dir.write("proc/stat", "cpu one two three four\ncpu0 1 2 3 4\n");
  dir.write("proc/loadavg", "high\n");
  dir.write("cpu/cpu0/cpufreq/scaling_cur_freq", "turbo\n");
  MachineSampler sampler(dir.file("proc"), dir.file("cpu"));
  MachineSample s = sampler.sample({0}, MachineSampler::Moment::BeforeSpawn);
  EXPECT_FALSE(s.stat);
  EXPECT_FALSE(s.load_1m);
  EXPECT_TRUE(s.freq_mhz.empty());
  EXPECT_THAT(s.problem, HasSubstr("not a count of ticks"));
}

TEST(MachineSampler, AMissingProcIsSilentlyAbsent) {
  MachineSampler sampler("/nonexistent-proc", "/nonexistent-sys");
  MachineSample s = sampler.sample({0}, MachineSampler::Moment::BeforeSpawn);
  EXPECT_FALSE(s.stat);
  EXPECT_TRUE(s.problem.empty());
  EXPECT_FALSE(noise_between(s, s, 0, 100));
}

// Structure, not timing: this machine's /proc parses.
TEST(MachineSampler, ThisMachinesProcParses) {
  MachineSampler sampler;
  MachineSample s = sampler.sample({0}, MachineSampler::Moment::BeforeSpawn);
  ASSERT_TRUE(s.stat) << s.problem;
  EXPECT_GE(s.stat->cpus, 1);
  EXPECT_TRUE(s.load_1m);
}

// The cost the harness adds to every run: both samples, compared with a
// control measured here (one monotonic clock read per iteration) rather than a
// fixed bound. Printed for docs/machine-noise.md; asserts only that it ran.
TEST(MachineSampler, SamplingCostIsPrinted) {
  MachineSampler sampler;
  const CpuList cpus = {0};
  constexpr int kRounds = 200;
  int64_t start = monotonic_ns();
  for (int i = 0; i < kRounds; ++i) {
    auto a = sampler.sample(cpus, MachineSampler::Moment::BeforeSpawn);
    auto b = sampler.sample(cpus, MachineSampler::Moment::AfterReap);
    ASSERT_TRUE(a.stat && b.stat);
  }
  const double per_run_us = double(monotonic_ns() - start) / kRounds / 1e3;
  std::printf("machine noise sampling: %.1f us per run (before + after)\n", per_run_us);
}

}  // namespace
}  // namespace coldbench::noise
