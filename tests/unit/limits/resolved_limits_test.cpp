#include "limits/resolved_limits.hpp"

#include <gtest/gtest.h>

namespace coldbench::limits {
namespace {

const CpuList kOnline{0, 1, 2, 3};
const CpuBudget kFree{{0, 1, 2, 3}, {}, std::nullopt};

TEST(ResolvedLimits, NoFlagsKeepsTheHarnessBudget) {
  auto resolved = resolve_limits({}, CpuBudget{{0, 1, 2, 3}, {0, 1}, 1.5}, kOnline);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->effective_cpus, 1);
  EXPECT_FALSE(resolved->threads.has_value());
}

TEST(ResolvedLimits, CpusRangeIsChecked) {
  for (double bad : {0.0, 0.001, -1.0, 4.5}) {
    LimitSpec spec;
    spec.cpus = bad;
    auto resolved = resolve_limits(spec, kFree, kOnline);
    ASSERT_FALSE(resolved.ok()) << bad;
    EXPECT_NE(resolved.error().message.find("between 0.01 and 4"), std::string::npos)
        << resolved.error().message;
  }
}

TEST(ResolvedLimits, ThreadsAutoIsTheFlooredQuota) {
  LimitSpec spec;
  spec.cpus = 2.5;
  spec.threads = ThreadSetting{true, 0};
  auto resolved = resolve_limits(spec, kFree, kOnline);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->effective_cpus, 2);
  EXPECT_EQ(resolved->threads, 2);

  spec.cpus = 0.5;
  EXPECT_EQ(resolve_limits(spec, kFree, kOnline)->threads, 1);
  spec.cpus = 1;
  EXPECT_EQ(resolve_limits(spec, kFree, kOnline)->threads, 1);
  spec.threads = ThreadSetting{false, 6};
  EXPECT_EQ(resolve_limits(spec, kFree, kOnline)->threads, 6);  // N is taken as given
  spec.threads = ThreadSetting{false, 0};
  EXPECT_FALSE(resolve_limits(spec, kFree, kOnline).ok());
}

TEST(ResolvedLimits, HarnessQuotaStillApplies) {
  LimitSpec spec;
  spec.cpus = 3;
  auto resolved = resolve_limits(spec, CpuBudget{{0, 1, 2, 3}, {}, 2.0}, kOnline);
  EXPECT_EQ(resolved->effective_cpus, 2);
}

TEST(ResolvedLimits, CpusetAndAffinityAreNormalisedAndChecked) {
  LimitSpec spec;
  spec.cpuset = "3,1-2,1";
  auto resolved = resolve_limits(spec, kFree, kOnline);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(*resolved->spec.cpuset, "1-3");
  EXPECT_EQ(resolved->effective_cpus, 3);

  spec.affinity = "0";
  auto outside = resolve_limits(spec, kFree, kOnline);
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(
      outside.error().message,
      "--affinity 0: CPU 0 is outside the --cpuset the run gets (1-3); choose among those CPUs");

  spec.affinity = "2-3";
  auto both = resolve_limits(spec, kFree, kOnline);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->effective_cpus, 2);
  EXPECT_EQ(applied_limits(*both, "v1").affinity, "2-3");
  EXPECT_EQ(applied_limits(*both, "v1").cpuset, "1-3");
}

TEST(ResolvedLimits, CpusetMustLieWithinTheHarnessCpuset) {
  LimitSpec spec;
  spec.cpuset = "0";
  auto resolved = resolve_limits(spec, CpuBudget{{2, 3}, {2, 3}, std::nullopt}, kOnline);
  ASSERT_FALSE(resolved.ok());
  EXPECT_NE(resolved.error().message.find("cpuset of CPUs 2-3"), std::string::npos);
}

TEST(ResolvedLimits, OfflineCpusNameTheValidRange) {
  LimitSpec spec;
  spec.affinity = "7";
  auto resolved = resolve_limits(spec, kFree, kOnline);
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().message, "--affinity 7: CPU 7 is not online here; valid CPUs are 0-3");
}

TEST(ResolvedLimits, AppliedLimitsRecord) {
  LimitSpec spec;
  spec.cpus = 0.5;
  spec.memory_bytes = 64 << 20;
  spec.threads = ThreadSetting{true, 0};
  auto applied = applied_limits(*resolve_limits(spec, kFree, kOnline), "v2");
  EXPECT_EQ(applied.cpus, 0.5);
  EXPECT_EQ(applied.memory_bytes, 64 << 20);
  EXPECT_EQ(applied.effective_cpus, 1);
  EXPECT_EQ(applied.threads, "1");
  EXPECT_EQ(applied.cgroup, "v2");
  EXPECT_EQ(applied.cpuset, "");
}

}  // namespace
}  // namespace coldbench::limits
