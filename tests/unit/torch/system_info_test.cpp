#include "system_info.hpp"

#include <gtest/gtest.h>

namespace coldbench::workload {
namespace {

TEST(FormatCpuList, Ranges) {
  EXPECT_EQ(format_cpu_list({0, 1, 2, 3, 6}), "0-3,6");
  EXPECT_EQ(format_cpu_list({1}), "1");
  EXPECT_EQ(format_cpu_list({0, 2, 4, 5}), "0,2,4-5");
  EXPECT_EQ(format_cpu_list({}), "");
}

TEST(ParseCpuMax, QuotaOrUnlimited) {
  EXPECT_FALSE(parse_cpu_max("max 100000\n").has_value());
  EXPECT_DOUBLE_EQ(*parse_cpu_max("150000 100000\n"), 1.5);
  EXPECT_DOUBLE_EQ(*parse_cpu_max("200000 100000"), 2.0);
  EXPECT_FALSE(parse_cpu_max("garbage").has_value());
}

TEST(EffectiveCpus, MinOfAffinityAndFlooredQuotaAtLeastOne) {
  EXPECT_EQ(effective_cpus(4, std::nullopt), 4);
  EXPECT_EQ(effective_cpus(4, 1.5), 1);
  EXPECT_EQ(effective_cpus(2, 8.0), 2);
  EXPECT_EQ(effective_cpus(4, 0.5), 1);
}

TEST(ReadCpuBudget, SeesAtLeastOneCpu) {
  CpuBudget budget = read_cpu_budget();
  EXPECT_FALSE(budget.affinity.empty());
  EXPECT_GE(budget.effective_cpus, 1);
}

TEST(Rss, CurrentAndPeakArePositive) {
  EXPECT_GT(current_rss_bytes(), 0);
  EXPECT_GE(peak_rss_bytes(), current_rss_bytes() / 2);
  auto start = process_start_monotonic_ns();
  ASSERT_TRUE(start.has_value());
}

}  // namespace
}  // namespace coldbench::workload
