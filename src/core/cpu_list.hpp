#pragma once
// CPU lists in the kernel's syntax ("0-2,5"), as --cpuset/--affinity take
// them and as cgroup and sysfs files hold them.

#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace coldbench {

// Sorted, without duplicates.
using CpuList = std::vector<int>;

// Parses "0-2,5" (whitespace and a trailing newline allowed). An empty text is
// an empty list, as in an unset cgroup file; callers that need CPUs check.
Expected<CpuList> parse_cpu_list(std::string_view text);

// {0,1,2,5} -> "0-2,5"; an empty list -> "".
std::string format_cpu_list(const CpuList& cpus);

CpuList intersect(const CpuList& a, const CpuList& b);
bool contains_all(const CpuList& outer, const CpuList& inner);

// A list the user typed for `flag` (e.g. "--cpuset"): it must parse, be
// non-empty and name only CPUs in `online`; the error names the valid range.
Expected<CpuList> parse_user_cpu_list(std::string_view flag, std::string_view text,
                                      const CpuList& online);

// /sys/devices/system/cpu/online, or 0..sysconf(NPROCESSORS_ONLN)-1 without sysfs.
CpuList read_online_cpus();

// The harness's own scheduler affinity (sched_getaffinity).
Expected<CpuList> read_own_affinity();

}  // namespace coldbench
