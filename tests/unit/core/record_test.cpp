#include "core/record.hpp"

#include <gtest/gtest.h>

namespace coldbench {
namespace {

TEST(CoreRecord, FindsPhasesAndMetricsByName) {
  RunRecord run;
  run.phases = {PhaseRecord{"load", 10, 10}, PhaseRecord{"run", 30, 20}};
  run.metrics = {MetricRecord{"latency", "ms", {1, 2}}};
  ASSERT_NE(run.phase("run"), nullptr);
  EXPECT_EQ(run.phase("run")->duration_ms, 20);
  EXPECT_EQ(run.phase("missing"), nullptr);
  ASSERT_NE(run.metric("latency"), nullptr);
  EXPECT_EQ(run.metric("latency")->unit, "ms");
  EXPECT_EQ(run.metric("load"), nullptr);
}

TEST(CoreRecord, SucceededMeansNoError) {
  RunRecord run;
  EXPECT_TRUE(run.succeeded());
  run.exit_code = 1;  // with --ignore-failure a non-zero exit is still a success
  EXPECT_TRUE(run.succeeded());
  run.error = "exited with code 1";
  EXPECT_FALSE(run.succeeded());
}

TEST(CoreRecord, ResidencyFractionOfNothingIsZero) {
  ResidencySnapshot r;
  EXPECT_EQ(r.fraction(), 0.0);
  r.total_bytes = 400;
  r.resident_bytes = 100;
  EXPECT_DOUBLE_EQ(r.fraction(), 0.25);
}

}  // namespace
}  // namespace coldbench
