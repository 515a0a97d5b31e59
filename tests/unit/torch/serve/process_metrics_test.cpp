#include "torch/serve/process_metrics.hpp"

#include <gtest/gtest.h>

namespace coldbench::workload::metrics {
namespace {

TEST(ProcessStat, ParsesFieldsAfterACommandNameWithSpacesAndParens) {
  // Fields 14 utime=250, 15 stime=50, 22 starttime=1000, 23 vsize=4096000, 24 rss=100 pages.
  const std::string line =
      "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1000 4096000 "
      "100 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
  auto stat = parse_proc_stat(line, 100, 4096, 1'700'000'000.0);
  ASSERT_TRUE(stat);
  EXPECT_DOUBLE_EQ(stat->cpu_seconds, 3.0);
  EXPECT_DOUBLE_EQ(stat->start_time_seconds, 1'700'000'010.0);
  EXPECT_DOUBLE_EQ(stat->virtual_memory_bytes, 4096000.0);
  EXPECT_DOUBLE_EQ(stat->resident_memory_bytes, 409600.0);
}

TEST(ProcessStat, TruncatedLineIsNotAStat) {
  EXPECT_FALSE(parse_proc_stat("1234 (x) S 1 2 3", 100, 4096, 0));
  EXPECT_FALSE(parse_proc_stat("no parenthesis", 100, 4096, 0));
}

TEST(ProcessMetrics, ThisProcessExportsTheStandardNames) {
  Registry registry;
  register_process_metrics(registry);
  const std::string text = registry.encode();
  for (const char* name : {"process_cpu_seconds_total ", "process_start_time_seconds ",
                           "process_resident_memory_bytes ", "process_virtual_memory_bytes ",
                           "process_open_fds ", "process_max_fds "}) {
    EXPECT_NE(text.find(std::string("\n") + name), std::string::npos) << name << "\n" << text;
  }
}

}  // namespace
}  // namespace coldbench::workload::metrics
