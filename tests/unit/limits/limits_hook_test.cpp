#include "limits/limits_hook.hpp"

#include <gtest/gtest.h>

namespace coldbench::limits {
namespace {

ResolvedLimits resolved(LimitSpec spec) {
  auto limits = resolve_limits(spec, CpuBudget{{0, 1, 2, 3}, {}, std::nullopt}, {0, 1, 2, 3});
  EXPECT_TRUE(limits.ok());
  return *limits;
}

TEST(LimitsHook, ThreadVariablesReplaceInheritedOnes) {
  LimitSpec spec;
  spec.cpus = 2.5;
  spec.threads = ThreadSetting{true, 0};
  LimitsHook hook(resolved(spec), nullptr);
  proc::SpawnRequest request;
  request.env = {"PATH=/bin", "OMP_NUM_THREADS=16"};
  RunRecord record;
  ASSERT_TRUE(hook.before_spawn(CommandSpec{}, request, record).ok());
  EXPECT_EQ(request.env, (std::vector<std::string>{"PATH=/bin", "OMP_NUM_THREADS=2",
                                                   "MKL_NUM_THREADS=2", "OPENBLAS_NUM_THREADS=2"}));
  ASSERT_TRUE(record.limits.has_value());
  EXPECT_EQ(record.limits->threads, "2");
  EXPECT_EQ(record.limits->effective_cpus, 2);
  EXPECT_EQ(record.limits->cgroup, "");  // no backend: no cgroup
  EXPECT_TRUE(request.child_setup.empty());
  hook.after_reap(proc::SpawnResult{}, record);
  EXPECT_FALSE(record.cgroup.has_value());
}

TEST(LimitsHook, AffinityIsAChildStep) {
  LimitSpec spec;
  spec.affinity = "1,3";
  LimitsHook hook(resolved(spec), nullptr);
  proc::SpawnRequest request;
  RunRecord record;
  ASSERT_TRUE(hook.before_spawn(CommandSpec{}, request, record).ok());
  ASSERT_EQ(request.child_setup.size(), 1u);
  EXPECT_EQ(request.child_setup[0]->describe(), "setting the CPU affinity to 1,3");
  EXPECT_EQ(record.limits->affinity, "1,3");
  EXPECT_EQ(record.limits->effective_cpus, 2);
}

TEST(LimitsHook, WithoutFlagsItOnlyRecordsEffectiveCpus) {
  LimitsHook hook(resolved({}), nullptr);
  proc::SpawnRequest request;
  request.env = {"OMP_NUM_THREADS=16"};
  RunRecord record;
  ASSERT_TRUE(hook.before_spawn(CommandSpec{}, request, record).ok());
  EXPECT_EQ(request.env, (std::vector<std::string>{"OMP_NUM_THREADS=16"}));
  EXPECT_EQ(record.limits->effective_cpus, 4);
  EXPECT_FALSE(record.limits->cpus.has_value());
}

TEST(LimitsHook, EngineModeRefusesAffinity) {
  LimitSpec spec;
  spec.affinity = "0";
  auto hook = make_limits_hook(spec, LimitsMode::Engine);
  ASSERT_FALSE(hook.ok());
  EXPECT_NE(hook.error().message.find("use --cpuset"), std::string::npos);
}

}  // namespace
}  // namespace coldbench::limits
