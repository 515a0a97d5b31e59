#pragma once
// What the process sees of the machine, without LibTorch: CPU affinity, the
// cgroup CPU quota, effective CPUs, thread-count environment, and resident
// memory. Reported as info so a run can be flagged as oversubscribed.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coldbench::workload {

struct CpuBudget {
  std::vector<int> affinity;         // CPUs this process may run on
  std::optional<double> quota_cpus;  // cgroup cpu.max / cfs quota in CPUs; none when unlimited
  int effective_cpus = 1;            // min(|affinity|, floor(quota)), at least 1
};

// "0-3,6" for {0,1,2,3,6}
std::string format_cpu_list(const std::vector<int>& cpus);

// Quota from cgroup v2 cpu.max text ("max 100000", "150000 100000"); none if unlimited.
std::optional<double> parse_cpu_max(std::string_view text);
int effective_cpus(std::size_t affinity_count, std::optional<double> quota_cpus);

CpuBudget read_cpu_budget();

// OMP_NUM_THREADS, MKL_NUM_THREADS, OPENBLAS_NUM_THREADS (and a few more
// that change LibTorch's threading); "" when unset.
std::map<std::string, std::string> thread_environment();

// When this process started, on CLOCK_MONOTONIC (from /proc/self/stat, so to
// the kernel's clock-tick resolution, usually 10 ms).
std::optional<int64_t> process_start_monotonic_ns();

int64_t current_rss_bytes();  // /proc/self/statm
int64_t peak_rss_bytes();     // getrusage ru_maxrss

}  // namespace coldbench::workload
