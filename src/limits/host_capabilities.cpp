#include "limits/host_capabilities.hpp"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "limits/cgroup_backend.hpp"
#include "limits/child_steps.hpp"
#include "core/effective_cpus.hpp"

namespace coldbench::limits {
namespace {

// One trial: prepare the backend for `spec` alone, create a run cgroup, open its join files, remove
// it.
Expected<std::string> trial_cgroup(const CgroupLayout& layout, const LimitSpec& spec) {
  CgroupNeeds needs = needs_for(spec);
  needs.optional.clear();
  auto backend = CgroupBackend::prepare(layout, needs);
  if (!backend) return backend.error();
  auto run = (*backend)->create_run(spec);
  if (!run) return run.error();
  auto join = JoinCgroupStep::open((*run)->procs_files());
  if (!join) return join.error();
  auto removed = (*run)->remove();
  if (!removed) return removed.error();
  return (*backend)->version_label();
}

}  // namespace

Capability probe_cgroup_limits(const CgroupLayout& layout) {
  Capability capability;
  capability.name = "create cgroups";
  capability.enables = "--cpus, --cpuset, --memory";
  CpuBudget own = read_own_cpu_budget(layout);
  const CpuList& cpus = own.cpuset.empty() ? own.affinity : own.cpuset;

  struct Trial {
    const char* controller;
    LimitSpec spec;
  };
  std::vector<Trial> trials(3);
  trials[0].controller = "cpu";
  trials[0].spec.cpus = 0.01;  // the smallest quota fits under any parent's quota
  trials[1].controller = "cpuset";
  trials[1].spec.cpuset = std::to_string(cpus.empty() ? 0 : cpus.front());
  trials[2].controller = "memory";
  trials[2].spec.memory_bytes = int64_t(1) << 30;

  int working = 0;
  std::string first_failure;
  for (const auto& trial : trials) {
    auto result = trial_cgroup(layout, trial.spec);
    if (!capability.detail.empty()) capability.detail += "; ";
    if (result) {
      ++working;
      capability.detail += fmt::format("{} ({}): yes", trial.controller, *result);
    } else {
      capability.detail += fmt::format("{}: no", trial.controller);
      if (first_failure.empty()) first_failure = result.error().message;
    }
  }
  capability.available = working == static_cast<int>(trials.size());
  if (!capability.available) capability.how = first_failure;
  return capability;
}

Capability probe_affinity() {
  Capability capability;
  capability.name = "set CPU affinity";
  capability.enables = "--affinity";
  auto current = read_own_affinity();
  if (!current) {
    capability.detail = current.error().message;
    capability.how = "sched_getaffinity must work; is this a restricted seccomp profile?";
    return capability;
  }
  cpu_set_t* set = CPU_ALLOC(current->empty() ? 1 : current->back() + 1);
  std::size_t bytes = CPU_ALLOC_SIZE(current->empty() ? 1 : current->back() + 1);
  CPU_ZERO_S(bytes, set);
  for (int cpu : *current) CPU_SET_S(cpu, bytes, set);
  int result = sched_setaffinity(0, bytes, set);
  int error = errno;
  CPU_FREE(set);
  capability.available = result == 0;
  capability.detail = result == 0
                          ? fmt::format("allowed CPUs {}", format_cpu_list(*current))
                          : fmt::format("sched_setaffinity failed: {}", std::strerror(error));
  if (result != 0)
    capability.how = "a seccomp profile or container runtime forbids sched_setaffinity; allow it";
  return capability;
}

int probe_unshare(int flags) {
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) _exit(unshare(flags) == 0 ? 0 : (errno & 0xff));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : ECHILD;
}

}  // namespace coldbench::limits
