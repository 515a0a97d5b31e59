#include "limits/limits_hook.hpp"

#include <sys/wait.h>

#include "core/env_var.hpp"

namespace coldbench::limits {
namespace {

std::string requested_flags(const LimitSpec& spec) {
  std::string flags;
  auto add = [&](bool present, const char* flag) {
    if (present) flags += (flags.empty() ? "" : ", ") + std::string(flag);
  };
  add(spec.cpus.has_value(), "--cpus");
  add(spec.cpuset.has_value(), "--cpuset");
  add(spec.memory_bytes.has_value(), "--memory");
  return flags;
}

}  // namespace

LimitsHook::LimitsHook(ResolvedLimits limits, std::unique_ptr<CgroupBackend> backend)
    : limits_(std::move(limits)), backend_(std::move(backend)) {
  if (!limits_.affinity.empty()) affinity_ = std::make_unique<AffinityStep>(limits_.affinity);
}

std::vector<std::string> LimitsHook::notes() const {
  return backend_ ? backend_->notes() : std::vector<std::string>{};
}

Expected<void> LimitsHook::before_spawn(const CommandSpec&, proc::SpawnRequest& request,
                                        RunRecord& record) {
  if (backend_) {
    auto created = backend_->create_run(limits_.spec);
    if (!created) return created.error();
    run_cgroup_ = std::move(created).value();
    auto join = JoinCgroupStep::open(run_cgroup_->procs_files());
    if (!join) {
      run_cgroup_.reset();
      return join.error();
    }
    join_.emplace(std::move(join).value());
    request.child_setup.push_back(&*join_);
    for (const auto& dir : run_cgroup_->dirs()) request.cgroup_dirs.push_back(dir.path);
    if (auto file = run_cgroup_->memory_file_to_sample())
      sampler_ = std::make_unique<MemorySampler>(*file);
  }
  if (affinity_) request.child_setup.push_back(affinity_.get());
  if (limits_.threads) {
    for (std::string_view name : thread_count_variables())
      set_env_entry(request.env, name, std::to_string(*limits_.threads));
  }
  record.limits = applied_limits(limits_, backend_ ? backend_->version_label() : "");
  return {};
}

Expected<void> LimitsHook::after_run(const bench::RunEnd& end, RunRecord& record) {
  if (!run_cgroup_) return {};
  std::optional<int64_t> sampled_peak;
  if (sampler_) sampled_peak = sampler_->stop();
  sampler_.reset();
  if (end.started()) {
    const proc::SpawnResult& result = end.result();
    record.cgroup = run_cgroup_->read_stats(sampled_peak);
    std::optional<int> exit_code, signal;
    if (WIFEXITED(result.wait_status)) exit_code = WEXITSTATUS(result.wait_status);
    if (WIFSIGNALED(result.wait_status)) signal = WTERMSIG(result.wait_status);
    if (killed_by_memory_limit(run_cgroup_->read_oom_evidence(), exit_code, signal,
                               result.timed_out)) {
      record.oom_killed = true;
    }
  }
  auto removed = run_cgroup_->remove();
  run_cgroup_.reset();
  join_.reset();
  return removed;
}

Expected<std::unique_ptr<LimitsHook>> make_limits_hook(const LimitSpec& spec, LimitsMode mode) {
  if (mode == LimitsMode::Engine && spec.affinity) {
    return make_error(
        "--affinity applies only to processes coldbench starts itself; with a container engine use "
        "--cpuset, which the engine applies");
  }
  auto layout = detect_cgroup_layout();
  if (!layout) return layout.error();
  CpuBudget own = read_own_cpu_budget(*layout);
  auto resolved = resolve_limits(spec, own, read_online_cpus());
  if (!resolved) return resolved.error();

  std::unique_ptr<CgroupBackend> backend;
  if (mode == LimitsMode::Harness && spec.needs_cgroup()) {
    // One wording whether the parent cgroup or the run's own one is refused:
    // which of the two fails depends on whether another run left the parent.
    const std::string flags = requested_flags(spec);
    auto needs_cgroup = [&](const Error& refused) {
      return refused.with_context(
          fmt::format("{} need{} a per-run cgroup", flags, flags.find(',') == std::string::npos ? "s" : ""));
    };
    auto prepared = CgroupBackend::prepare(*layout, needs_for(spec));
    if (!prepared) return needs_cgroup(prepared.error());
    backend = std::move(prepared).value();
    // A trial run cgroup: every limit is written and the join files opened
    // once, so a refusal is reported now rather than at the first run.
    auto trial = backend->create_run(resolved->spec);
    if (!trial) return needs_cgroup(trial.error());
    auto join = JoinCgroupStep::open((*trial)->procs_files());
    if (!join) return join.error();
    auto removed = (*trial)->remove();
    if (!removed) return removed.error();
  }
  return std::make_unique<LimitsHook>(std::move(resolved).value(), std::move(backend));
}

}  // namespace coldbench::limits
