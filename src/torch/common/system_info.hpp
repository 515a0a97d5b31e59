#pragma once
// What the process sees of the machine, without LibTorch: CPU affinity, the
// cgroup cpuset and CPU quota, effective CPUs (core/effective_cpus.hpp, the
// rule `coldbench env` applies too), thread-count environment, and resident
// memory. Reported as info so a run can be flagged as oversubscribed.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/effective_cpus.hpp"

namespace coldbench::workload {

// The CPUs this process sees and the count it can use.
struct ProcessCpus {
  CpuBudget budget;        // affinity, cpuset, quota
  int effective_cpus = 1;  // coldbench::effective_cpus(budget)
};

// Affinity, cpuset and quota of this process (a cgroup layout that cannot
// be read leaves only the affinity).
ProcessCpus read_process_cpus();

// Every variable in core/env_var.hpp's kThreadVariables; "" when unset.
std::map<std::string, std::string> thread_environment();

// When this process started, on CLOCK_MONOTONIC (from /proc/self/stat, so to
// the kernel's clock-tick resolution, usually 10 ms).
std::optional<int64_t> process_start_monotonic_ns();

int64_t current_rss_bytes();  // /proc/self/statm
int64_t peak_rss_bytes();     // getrusage ru_maxrss

}  // namespace coldbench::workload
