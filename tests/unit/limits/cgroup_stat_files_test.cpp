#include "limits/cgroup_stat_files.hpp"

#include <gtest/gtest.h>
#include <signal.h>

namespace coldbench::limits {
namespace {

TEST(CgroupStatFiles, FlatKeyedAndSingleValues) {
  auto values = parse_flat_keyed("usage_usec 12\nnr_periods 3\nbogus\nname text\n\n");
  EXPECT_EQ(values.size(), 2u);
  EXPECT_EQ(values["usage_usec"], 12);
  EXPECT_EQ(parse_single_value("4096\n"), 4096);
  EXPECT_FALSE(parse_single_value("max\n").has_value());
  EXPECT_FALSE(parse_single_value("").has_value());
  EXPECT_FALSE(parse_single_value("12 13").has_value());
}

TEST(CgroupStatFiles, V2CpuStat) {
  // Linux 6.1, with a quota set and burst support.
  const char* text =
      "usage_usec 1003456\nuser_usec 1000000\nsystem_usec 3456\ncore_sched.force_idle_usec 0\n"
      "nr_periods 21\nnr_throttled 19\nthrottled_usec 954321\nnr_bursts 0\nburst_usec 0\n";
  CgroupStats stats;
  apply_v2_cpu_stat(text, stats);
  EXPECT_DOUBLE_EQ(*stats.cpu_usage_ms, 1003.456);
  EXPECT_EQ(*stats.periods, 21);
  EXPECT_EQ(*stats.throttled_periods, 19);
  EXPECT_DOUBLE_EQ(*stats.throttled_ms, 954.321);
}

TEST(CgroupStatFiles, V2CpuStatWithoutTheCpuController) {
  // Only the usage lines exist when cpu is not enabled for the cgroup.
  CgroupStats stats;
  apply_v2_cpu_stat("usage_usec 500\nuser_usec 400\nsystem_usec 100\n", stats);
  EXPECT_DOUBLE_EQ(*stats.cpu_usage_ms, 0.5);
  EXPECT_FALSE(stats.periods.has_value());
  EXPECT_FALSE(stats.throttled_ms.has_value());
}

TEST(CgroupStatFiles, V1CpuStatAndCpuacctUsage) {
  CgroupStats stats;
  apply_v1_cpu_stat(
      "nr_periods 40\nnr_throttled 38\nthrottled_time 1900000000\nnr_bursts 0\nburst_time 0\n",
      stats);
  apply_v1_cpuacct_usage("1012345678\n", stats);
  EXPECT_EQ(*stats.periods, 40);
  EXPECT_EQ(*stats.throttled_periods, 38);
  EXPECT_DOUBLE_EQ(*stats.throttled_ms, 1900.0);  // v1 counts nanoseconds
  EXPECT_DOUBLE_EQ(*stats.cpu_usage_ms, 1012.345678);
}

TEST(CgroupStatFiles, V2MemoryEvents) {
  auto evidence =
      parse_v2_memory_events("low 0\nhigh 0\nmax 153\noom 1\noom_kill 1\noom_group_kill 1\n");
  EXPECT_EQ(evidence.oom_kills, 1);
  EXPECT_FALSE(parse_v2_memory_events("").oom_kills.has_value());
}

TEST(CgroupStatFiles, V1OomControlNewAndOldKernels) {
  auto modern = parse_v1_oom_control("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", "57\n");
  EXPECT_EQ(modern.oom_kills, 2);
  EXPECT_FALSE(modern.under_oom);
  EXPECT_EQ(modern.limit_hits, 57);
  auto old = parse_v1_oom_control("oom_kill_disable 0\nunder_oom 1\n", "3");
  EXPECT_FALSE(old.oom_kills.has_value());
  EXPECT_TRUE(old.under_oom);
}

TEST(CgroupStatFiles, MemoryLimitKillVerdict) {
  OomEvidence killed;
  killed.oom_kills = 1;
  EXPECT_TRUE(killed_by_memory_limit(killed, std::nullopt, SIGKILL, false));
  EXPECT_TRUE(killed_by_memory_limit(killed, 1, std::nullopt,
                                     false));  // a child was killed, the parent failed
  EXPECT_FALSE(
      killed_by_memory_limit(killed, 0, std::nullopt, false));  // it coped and exited cleanly
  EXPECT_FALSE(
      killed_by_memory_limit(killed, std::nullopt, SIGKILL, true));  // our own timeout kill

  OomEvidence none;
  none.oom_kills = 0;
  none.limit_hits = 10;  // reclaim at the limit is not an OOM kill
  EXPECT_FALSE(killed_by_memory_limit(none, std::nullopt, SIGKILL, false));
  EXPECT_FALSE(killed_by_memory_limit(none, std::nullopt, SIGSEGV, false));

  OomEvidence old_kernel;  // no oom_kill counter
  old_kernel.limit_hits = 4;
  EXPECT_TRUE(killed_by_memory_limit(old_kernel, std::nullopt, SIGKILL, false));
  EXPECT_FALSE(killed_by_memory_limit(old_kernel, std::nullopt, SIGSEGV, false));
  old_kernel.limit_hits = 0;
  old_kernel.under_oom = true;
  EXPECT_TRUE(killed_by_memory_limit(old_kernel, 137, std::nullopt, false));
}

}  // namespace
}  // namespace coldbench::limits
