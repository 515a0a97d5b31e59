#include "limits/resolved_limits.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace coldbench::limits {

Expected<ResolvedLimits> resolve_limits(const LimitSpec& spec, const CpuBudget& own,
                                        const CpuList& online) {
  ResolvedLimits resolved;
  resolved.spec = spec;
  resolved.budget = own;

  if (spec.cpus) {
    double max_cpus = static_cast<double>(online.size());
    if (!std::isfinite(*spec.cpus) || *spec.cpus < kMinCpus || *spec.cpus > max_cpus) {
      return make_error("--cpus {:g}: must be between {:g} and {:g} (the CPUs online here)",
                        *spec.cpus, kMinCpus, max_cpus);
    }
    if (!resolved.budget.quota_cpus || *spec.cpus < *resolved.budget.quota_cpus)
      resolved.budget.quota_cpus = spec.cpus;
  }

  if (spec.cpuset) {
    auto cpus = parse_user_cpu_list("--cpuset", *spec.cpuset, online);
    if (!cpus) return cpus.error();
    if (!own.cpuset.empty() && !contains_all(own.cpuset, *cpus)) {
      return make_error(
          "--cpuset {}: coldbench itself runs in a cpuset of CPUs {}, and a run's cpuset must lie "
          "within it; choose among those CPUs",
          *spec.cpuset, format_cpu_list(own.cpuset));
    }
    resolved.cpuset = *cpus;
    resolved.spec.cpuset = format_cpu_list(*cpus);
    resolved.budget.cpuset = *cpus;
    // Joining a cpuset resets the affinity to it.
    resolved.budget.affinity = *cpus;
  }

  if (spec.affinity) {
    auto cpus = parse_user_cpu_list("--affinity", *spec.affinity, online);
    if (!cpus) return cpus.error();
    const CpuList& allowed = resolved.budget.cpuset.empty() ? online : resolved.budget.cpuset;
    if (!contains_all(allowed, *cpus)) {
      CpuList outside;
      std::set_difference(cpus->begin(), cpus->end(), allowed.begin(), allowed.end(),
                          std::back_inserter(outside));
      return make_error(
          "--affinity {}: CPU {} {} outside the {} the run gets ({}); choose among those CPUs",
          *spec.affinity, format_cpu_list(outside), outside.size() == 1 ? "is" : "are",
          spec.cpuset ? "--cpuset" : "cpuset", format_cpu_list(allowed));
    }
    resolved.affinity = *cpus;
    resolved.spec.affinity = format_cpu_list(*cpus);
    resolved.budget.affinity = *cpus;
  }

  resolved.effective_cpus = effective_cpus(resolved.budget);
  if (spec.threads) {
    if (spec.threads->automatic) {
      resolved.threads = resolved.effective_cpus;
    } else if (spec.threads->count < 1) {
      return make_error("--threads {}: give a thread count of at least 1, or auto",
                        spec.threads->count);
    } else {
      resolved.threads = spec.threads->count;
    }
  }
  return resolved;
}

AppliedLimits applied_limits(const ResolvedLimits& limits, const std::string& cgroup) {
  AppliedLimits applied;
  applied.cpus = limits.spec.cpus;
  applied.cpuset = format_cpu_list(limits.cpuset);
  applied.memory_bytes = limits.spec.memory_bytes;
  applied.affinity = format_cpu_list(limits.affinity);
  applied.effective_cpus = limits.effective_cpus;
  if (limits.threads) applied.threads = std::to_string(*limits.threads);
  applied.cgroup = cgroup;
  return applied;
}

}  // namespace coldbench::limits
