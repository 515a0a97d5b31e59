#include "torch/common/system_info.hpp"

#include <gtest/gtest.h>

#include "core/env_var.hpp"

namespace coldbench::workload {
namespace {

// Formatting, parsing and the effective-CPU rule are core's, tested in
// tests/unit/core (cpu_list_test, effective_cpus_test).
TEST(ReadProcessCpus, SeesAtLeastOneCpu) {
  ProcessCpus cpus = read_process_cpus();
  EXPECT_FALSE(cpus.budget.affinity.empty());
  EXPECT_GE(cpus.effective_cpus, 1);
  EXPECT_EQ(cpus.effective_cpus, effective_cpus(cpus.budget));
}

TEST(ThreadEnvironment, ReportsEveryThreadVariable) {
  auto env = thread_environment();
  EXPECT_EQ(env.size(), kThreadVariables.size());
  EXPECT_TRUE(env.count("OMP_NUM_THREADS"));
  EXPECT_TRUE(env.count("DNNL_MAX_CPU_ISA"));
}

TEST(Rss, CurrentAndPeakArePositive) {
  EXPECT_GT(current_rss_bytes(), 0);
  EXPECT_GE(peak_rss_bytes(), current_rss_bytes() / 2);
  auto start = process_start_monotonic_ns();
  ASSERT_TRUE(start.has_value());
}

}  // namespace
}  // namespace coldbench::workload
