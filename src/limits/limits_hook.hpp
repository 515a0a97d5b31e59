#pragma once
// The run hook that applies limits around each spawn: a fresh cgroup per run
// (joined in the child before exec), the CPU affinity, the thread variables;
// afterwards the run's cgroup statistics, the OOM verdict, and removal.
// Without any limit flag it still records each run's effective CPUs, so an
// oversubscribed workload is flagged on an unrestricted machine too.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/hooks.hpp"
#include "limits/cgroup_backend.hpp"
#include "limits/child_steps.hpp"
#include "limits/memory_sampler.hpp"
#include "limits/resolved_limits.hpp"

namespace coldbench::limits {

enum class LimitsMode {
  Harness,  // coldbench applies everything (host and sandbox isolation)
  Engine,   // a container engine applies CPU and memory limits; coldbench only records them
};

class LimitsHook : public bench::RunHook {
 public:
  LimitsHook(ResolvedLimits limits, std::unique_ptr<CgroupBackend> backend);

  Expected<void> before_spawn(const CommandSpec& command, proc::SpawnRequest& request,
                              RunRecord& record) override;
  // An error: the run cgroup could not be removed.
  Expected<void> after_run(const bench::RunEnd& end, RunRecord& record) override;

  const ResolvedLimits& limits() const { return limits_; }
  // Stale cgroups removed while preparing, statistics unavailable, ...
  std::vector<std::string> notes() const;

 private:
  ResolvedLimits limits_;
  std::unique_ptr<CgroupBackend> backend_;
  std::unique_ptr<RunCgroup> run_cgroup_;
  std::optional<JoinCgroupStep> join_;
  std::unique_ptr<AffinityStep> affinity_;
  std::unique_ptr<MemorySampler> sampler_;
};

// Reads this host's CPUs, the harness's own budget and cgroup layout, checks
// `spec` and prepares the cgroup backend when a limit needs one. Errors (bad
// values, missing rights) come before any run.
Expected<std::unique_ptr<LimitsHook>> make_limits_hook(const LimitSpec& spec,
                                                       LimitsMode mode = LimitsMode::Harness);

}  // namespace coldbench::limits
