#pragma once
// Parsers for the cgroup files coldbench reads after a run, v2 and v1, and
// the rule that decides whether a run was killed by its memory limit.
// Pure functions over file texts, so every kernel layout is unit-tested.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/cgroup_layout.hpp"  // parse_single_value
#include "core/record.hpp"

namespace coldbench::limits {

// "key value" lines (cpu.stat, memory.events, memory.oom_control).
std::map<std::string, int64_t> parse_flat_keyed(std::string_view text);

// v2 cpu.stat: usage_usec, nr_periods, nr_throttled, throttled_usec.
void apply_v2_cpu_stat(std::string_view text, CgroupStats& stats);
// v1 cpu.stat: nr_periods, nr_throttled, throttled_time (ns).
void apply_v1_cpu_stat(std::string_view text, CgroupStats& stats);
// v1 cpuacct.usage: total CPU time in ns.
void apply_v1_cpuacct_usage(std::string_view text, CgroupStats& stats);

// What the kernel tells about memory-limit kills.
struct OomEvidence {
  std::optional<int64_t> oom_kills;  // processes killed by the OOM killer inside the cgroup
  bool under_oom = false;            // v1: the cgroup is (still) in an OOM state
  int64_t limit_hits = 0;            // v1 memory.failcnt: times usage hit the limit
};

// v2 memory.events ("oom_kill N").
OomEvidence parse_v2_memory_events(std::string_view text);
// v1 memory.oom_control ("oom_kill N" since Linux 4.13, "under_oom 0|1") and memory.failcnt.
OomEvidence parse_v1_oom_control(std::string_view oom_control, std::string_view failcnt);

// The run was killed by its memory limit when the OOM killer struck in its
// cgroup and the workload did not exit cleanly. Old v1 kernels without an
// oom_kill counter: an OOM state, or a limit hit plus death by SIGKILL.
bool killed_by_memory_limit(const OomEvidence& evidence, std::optional<int> exit_code,
                            std::optional<int> signal, bool timed_out);

}  // namespace coldbench::limits
