#pragma once
// How many CPUs a process can really use: its affinity, its cgroup's cpuset
// and the CFS quota of its cgroup and every ancestor. The one rule both
// binaries apply (`coldbench env`, --threads auto, coldbench-torch's system
// info): min(|affinity ∩ cpuset|, floor(quota / period)), at least 1. Also
// the memory limit along the same cgroup path, for `coldbench env`.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/cgroup_layout.hpp"
#include "core/cpu_list.hpp"

namespace coldbench {

struct CpuBudget {
  CpuList affinity;  // CPUs the scheduler lets the process run on
  CpuList cpuset;    // CPUs its cgroup's cpuset allows; empty: no cpuset known
  std::optional<double>
      quota_cpus;  // quota / period, the smallest along the cgroup path; none: unlimited
};

// The rule above. The quota is floored with 1e-9 of slack so that float
// noise in a whole quota (2.9999999999 for 3 CPUs) does not lose a CPU.
int effective_cpus(const CpuBudget& budget);

// v2 cpu.max "50000 100000" -> 0.5 CPUs; "max 100000" -> none.
std::optional<double> parse_v2_cpu_max(std::string_view text);
// v1 cpu.cfs_quota_us / cpu.cfs_period_us; a quota of -1 -> none.
std::optional<double> parse_v1_quota(std::string_view quota_text, std::string_view period_text);
// v2 memory.max ("max" -> none) or v1 memory.limit_in_bytes (the kernel's
// "unlimited", a value near 2^63, -> none).
std::optional<int64_t> parse_memory_limit(std::string_view text);

// Reads one small file (cgroup, /proc): its text, or nullopt when it cannot
// be read. The harness passes its CgroupFs as the reader (unit tests: a model
// of the kernel); the default reads the real file.
using CgroupFileReader = std::function<std::optional<std::string>(const std::string& path)>;
std::optional<std::string> read_text_file(const std::string& path);

// This process's budget: affinity from sched_getaffinity (all online CPUs
// when that fails), cpuset and quotas from `layout`.
CpuBudget read_own_cpu_budget(const CgroupLayout& layout,
                              const CgroupFileReader& read = read_text_file);
// The smallest memory limit from this process's cgroup up to the top.
std::optional<int64_t> read_own_memory_limit(const CgroupLayout& layout,
                                             const CgroupFileReader& read = read_text_file);

}  // namespace coldbench
