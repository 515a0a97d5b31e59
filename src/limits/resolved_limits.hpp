#pragma once
// Checks a LimitSpec against this machine (online CPUs, the harness's own
// affinity, cpuset and quota) and works out what a run gets: its CPU budget,
// effective CPUs and the thread count for --threads.

#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/record.hpp"
#include "core/cpu_list.hpp"
#include "core/effective_cpus.hpp"
#include "limits/limit_spec.hpp"

namespace coldbench::limits {

// The smallest quota the kernel accepts: 1 ms per 100 ms period.
inline constexpr double kMinCpus = 0.01;

struct ResolvedLimits {
  LimitSpec spec;    // as given, lists normalised ("1,0-0" -> "0-1")
  CpuList cpuset;    // requested; empty: none
  CpuList affinity;  // requested; empty: none
  CpuBudget budget;  // what each run gets
  int effective_cpus = 1;
  std::optional<int> threads;  // value for the thread variables, when --threads was given
};

// An error names the flag, the value and the valid range.
Expected<ResolvedLimits> resolve_limits(const LimitSpec& spec, const CpuBudget& own,
                                        const CpuList& online);

// The record of what a run ran under (cgroup: "v1", "v2", "v1+v2" or "").
AppliedLimits applied_limits(const ResolvedLimits& limits, const std::string& cgroup);

}  // namespace coldbench::limits
