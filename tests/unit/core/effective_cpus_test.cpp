#include "core/effective_cpus.hpp"

#include <gtest/gtest.h>

#include <map>

namespace coldbench {
namespace {

// The cgroup files a test host has; any other path cannot be read.
struct CgroupFiles {
  std::map<std::string, std::string> files;
  CgroupFileReader reader() const {
    return [this](const std::string& path) -> std::optional<std::string> {
      auto found = files.find(path);
      if (found == files.end()) return std::nullopt;
      return found->second;
    };
  }
};

TEST(EffectiveCpus, DesignRule) {
  // min(|affinity ∩ cpuset|, floor(quota)), at least 1.
  EXPECT_EQ(effective_cpus({{0, 1, 2, 3}, {}, std::nullopt}), 4);
  EXPECT_EQ(effective_cpus({{0, 1, 2, 3}, {2, 3}, std::nullopt}), 2);
  EXPECT_EQ(effective_cpus({{0, 1}, {1, 2, 3}, std::nullopt}), 1);
  EXPECT_EQ(effective_cpus({{0, 1, 2, 3}, {}, 2.5}), 2);
  EXPECT_EQ(effective_cpus({{0, 1, 2, 3}, {}, 0.5}), 1);  // a half CPU still runs one thread
  EXPECT_EQ(effective_cpus({{0, 1}, {}, 8.0}), 2);        // a large quota does not add CPUs
  EXPECT_EQ(effective_cpus({{0, 1, 2, 3}, {0, 1, 2}, 2.0}), 2);
  EXPECT_EQ(effective_cpus({{0, 1, 2, 3}, {}, 3.0000000001}), 3);
  EXPECT_EQ(effective_cpus({{0, 1, 2, 3}, {}, 2.9999999999}), 3);  // float noise of 3 CPUs
  EXPECT_EQ(effective_cpus({{}, {}, std::nullopt}), 1);
}

// coldbench-torch used to count only its affinity and floor the quota
// without slack (4 and 2 below); both binaries now share this rule.
TEST(EffectiveCpus, OneRuleForBothBinariesCountsTheCpusetAndForgivesQuotaNoise) {
  EXPECT_EQ(effective_cpus({{0, 1, 2, 3}, {2, 3}, std::nullopt}), 2);
  EXPECT_EQ(effective_cpus({{0, 1, 2, 3}, {}, 2.9999999999}), 3);
  EXPECT_EQ(effective_cpus({{0, 1, 2, 3}, {}, 1.5}), 1);
}

TEST(EffectiveCpus, QuotaAndLimitFiles) {
  EXPECT_DOUBLE_EQ(*parse_v2_cpu_max("50000 100000\n"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_v2_cpu_max("250000 100000"), 2.5);
  EXPECT_FALSE(parse_v2_cpu_max("max 100000\n").has_value());
  EXPECT_FALSE(parse_v2_cpu_max("").has_value());
  EXPECT_DOUBLE_EQ(*parse_v2_cpu_max("200000 100000"), 2.0);
  EXPECT_FALSE(parse_v2_cpu_max("garbage").has_value());
  EXPECT_DOUBLE_EQ(*parse_v1_quota("150000\n", "100000\n"), 1.5);
  EXPECT_FALSE(parse_v1_quota("-1\n", "100000\n").has_value());
  EXPECT_EQ(parse_memory_limit("67108864\n"), 67108864);
  EXPECT_FALSE(parse_memory_limit("max\n").has_value());
  EXPECT_FALSE(parse_memory_limit("9223372036854771712\n").has_value());  // v1 "unlimited"
}

TEST(EffectiveCpus, OwnBudgetTakesTheSmallestQuotaOnThePathToTheTop) {
  CgroupFiles fs;
  fs.files["/cg/a/cpu.max"] = "150000 100000";
  fs.files["/cg/a/b/cpu.max"] = "max 100000";
  fs.files["/cg/a/memory.max"] = "1073741824";
  fs.files["/cg/a/b/memory.max"] = "max";
  fs.files["/cg/a/b/cpuset.cpus.effective"] = "0-1";
  auto layout = parse_cgroup_layout("30 25 0:26 / /cg rw - cgroup2 cgroup2 rw\n", "0::/a/b\n",
                                    "cpu cpuset memory");
  CpuBudget budget = read_own_cpu_budget(layout, fs.reader());
  EXPECT_EQ(budget.cpuset, (CpuList{0, 1}));
  ASSERT_TRUE(budget.quota_cpus.has_value());
  EXPECT_DOUBLE_EQ(*budget.quota_cpus, 1.5);
  EXPECT_EQ(read_own_memory_limit(layout, fs.reader()), 1073741824);
}

TEST(EffectiveCpus, OwnBudgetOnV1) {
  CgroupFiles fs;
  fs.files["/cg/cpu/docker/x/cpu.cfs_quota_us"] = "200000";
  fs.files["/cg/cpu/docker/x/cpu.cfs_period_us"] = "100000";
  fs.files["/cg/cpuset/docker/x/cpuset.effective_cpus"] = "2-3";
  fs.files["/cg/memory/docker/x/memory.limit_in_bytes"] = "536870912";
  const char* mountinfo =
      "1 0 0:1 / /cg/cpu rw - cgroup cgroup rw,cpu,cpuacct\n"
      "2 0 0:2 / /cg/cpuset rw - cgroup cgroup rw,cpuset\n"
      "3 0 0:3 / /cg/memory rw - cgroup cgroup rw,memory\n";
  auto layout = parse_cgroup_layout(
      mountinfo, "3:cpu,cpuacct:/docker/x\n2:cpuset:/docker/x\n1:memory:/docker/x\n", "");
  CpuBudget budget = read_own_cpu_budget(layout, fs.reader());
  EXPECT_EQ(budget.cpuset, (CpuList{2, 3}));
  EXPECT_DOUBLE_EQ(*budget.quota_cpus, 2.0);
  EXPECT_EQ(read_own_memory_limit(layout, fs.reader()), 536870912);
}

}  // namespace
}  // namespace coldbench
