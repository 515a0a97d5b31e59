#pragma once
// How many CPUs a process can really use: its affinity, its cgroup's cpuset
// and the CFS quota of its cgroup and every ancestor (the design's rule:
// min(|affinity ∩ cpuset|, floor(quota / period)), at least 1). Also the
// memory limit along the same path, for `coldbench env`.

#include <cstdint>
#include <optional>
#include <string_view>

#include "limits/cgroup_fs.hpp"
#include "limits/cgroup_layout.hpp"
#include "limits/cpu_list.hpp"

namespace coldbench::limits {

struct CpuBudget {
  CpuList affinity;  // CPUs the scheduler lets the process run on
  CpuList cpuset;    // CPUs its cgroup's cpuset allows; empty: no cpuset known
  std::optional<double>
      quota_cpus;  // quota / period, the smallest along the cgroup path; none: unlimited
};

int effective_cpus(const CpuBudget& budget);

// v2 cpu.max "50000 100000" -> 0.5 CPUs; "max 100000" -> none.
std::optional<double> parse_v2_cpu_max(std::string_view text);
// v1 cpu.cfs_quota_us / cpu.cfs_period_us; a quota of -1 -> none.
std::optional<double> parse_v1_quota(std::string_view quota_text, std::string_view period_text);
// v2 memory.max ("max" -> none) or v1 memory.limit_in_bytes (the kernel's
// "unlimited", a value near 2^63, -> none).
std::optional<int64_t> parse_memory_limit(std::string_view text);

// The harness's own budget (affinity from sched_getaffinity).
CpuBudget read_own_cpu_budget(const CgroupLayout& layout, CgroupFs& fs = real_cgroup_fs());
// The smallest memory limit from the harness's cgroup up to the top.
std::optional<int64_t> read_own_memory_limit(const CgroupLayout& layout,
                                             CgroupFs& fs = real_cgroup_fs());

}  // namespace coldbench::limits
