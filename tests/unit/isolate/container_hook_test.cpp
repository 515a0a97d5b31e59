#include "isolate/container_hook.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace coldbench::isolate {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A run whose entry point reported from inside a container.
RunRecord reported(std::map<std::string, nlohmann::json> info) {
  RunRecord record;
  record.exit_code = 0;
  record.usage.max_rss_kb = 60000;  // the engine client's, not the workload's
  record.info = {{"container.cgroup", "v1"}};
  for (auto& [key, value] : info) record.info[key] = value;
  return record;
}

TEST(ContainerReport, OomKillInsideTheContainerMarksTheRun) {
  RunRecord record = reported({{"container.oom_kills", 1}, {"container.workload.signal", 9}});
  record.exit_code = 137;  // all the client passes on
  apply_container_report({}, record);
  EXPECT_TRUE(record.oom_killed);
  EXPECT_EQ(record.signal, 9);
  EXPECT_FALSE(record.exit_code);
}

TEST(ContainerReport, NoOomKillsLeavesTheRunAlone) {
  RunRecord record = reported({{"container.oom_kills", 0}});
  apply_container_report({}, record);
  EXPECT_FALSE(record.oom_killed);
  EXPECT_EQ(record.exit_code, 0);
}

TEST(ContainerReport, TheWorkloadsOwnUsageReplacesTheClients) {
  RunRecord record = reported({{"container.workload.max_rss_kb", 8168},
                               {"container.workload.user_ms", 16.0},
                               {"container.workload.system_ms", 32.0}});
  apply_container_report({}, record);
  EXPECT_EQ(record.usage.max_rss_kb, 8168);
  EXPECT_DOUBLE_EQ(record.usage.user_ms, 16.0);
  EXPECT_DOUBLE_EQ(record.usage.system_ms, 32.0);
}

TEST(ContainerReport, LimitsSeenInsideAsAskedGiveNoWarning) {
  limits::LimitSpec asked;
  asked.cpus = 0.5;
  asked.cpuset = "0";
  asked.memory_bytes = 256ll << 20;
  RunRecord record = reported({{"container.cpus", 0.5},
                               {"container.cpuset", "0"},
                               {"container.memory_limit_bytes", 268435456}});
  apply_container_report(asked, record);
  EXPECT_THAT(record.warnings, IsEmpty());
}

TEST(ContainerReport, EachLimitTheContainerDoesNotSeeIsAWarning) {
  limits::LimitSpec asked;
  asked.cpus = 1;
  asked.cpuset = "0";
  asked.memory_bytes = 64ll << 20;
  RunRecord record = reported({{"container.cpuset", "0-1"}});
  apply_container_report(asked, record);
  ASSERT_THAT(record.warnings, SizeIs(3));
  EXPECT_THAT(record.warnings[0], HasSubstr("not the 1 asked"));
  EXPECT_THAT(record.warnings[1], HasSubstr("cpuset is 0-1"));
  EXPECT_THAT(record.warnings[2], HasSubstr("memory limit is none"));
}

TEST(ContainerReport, WithoutTheEntryPointsReportNothingChanges) {
  limits::LimitSpec asked;
  asked.cpus = 1;
  RunRecord record;
  record.exit_code = 137;
  apply_container_report(asked, record);
  EXPECT_FALSE(record.oom_killed);
  EXPECT_EQ(record.exit_code, 137);
  EXPECT_THAT(record.warnings, IsEmpty());
}

}  // namespace
}  // namespace coldbench::isolate
