#include "isolate/container_hook.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/cpu_list.hpp"

#include "core/env_var.hpp"
#include "isolate/container_engine.hpp"
#include "proc/descendants.hpp"


namespace coldbench::isolate {
namespace {

constexpr double kKillTimeoutS = 15;
constexpr double kEngineCleanupGraceS = 15;

std::optional<double> info_number(const RunRecord& record, const char* key) {
  auto it = record.info.find(key);
  if (it == record.info.end() || !it->second.is_number()) return std::nullopt;
  return it->second.get<double>();
}

std::optional<std::string> info_text(const RunRecord& record, const char* key) {
  auto it = record.info.find(key);
  if (it == record.info.end() || !it->second.is_string()) return std::nullopt;
  return it->second.get<std::string>();
}

}  // namespace

void apply_container_report(const limits::LimitSpec& asked, RunRecord& record) {
  if (!record.info.count("container.cgroup")) return;  // no entry point ran (markers off, or it failed)
  if (auto kills = info_number(record, "container.oom_kills"); kills && *kills > 0) record.oom_killed = true;
  if (auto signal = info_number(record, "container.workload.signal")) {
    record.signal = static_cast<int>(*signal);
    record.exit_code.reset();
  }
  if (auto rss = info_number(record, "container.workload.max_rss_kb")) record.usage.max_rss_kb = static_cast<int64_t>(*rss);
  if (auto user = info_number(record, "container.workload.user_ms")) record.usage.user_ms = *user;
  if (auto system = info_number(record, "container.workload.system_ms")) record.usage.system_ms = *system;

  const auto cpus = info_number(record, "container.cpus");
  if (asked.cpus && (!cpus || std::fabs(*cpus - *asked.cpus) > 1e-6)) {
    record.warnings.push_back(fmt::format("the container sees {} CPUs of quota, not the {:g} asked",
                                          cpus ? fmt::format("{:g}", *cpus) : std::string("no limit of"), *asked.cpus));
  }
  if (asked.cpuset) {
    const auto seen = info_text(record, "container.cpuset");
    auto seen_list = seen ? parse_cpu_list(*seen) : Expected<CpuList>(make_error("not reported"));
    auto asked_list = parse_cpu_list(*asked.cpuset);
    if (!seen_list || !asked_list || *seen_list != *asked_list) {
      record.warnings.push_back(fmt::format("the container's cpuset is {}, not the {} asked",
                                            seen.value_or("unknown"), *asked.cpuset));
    }
  }
  const auto memory = info_number(record, "container.memory_limit_bytes");
  if (asked.memory_bytes && (!memory || static_cast<int64_t>(*memory) != *asked.memory_bytes)) {
    record.warnings.push_back(fmt::format("the container's memory limit is {}, not the {} bytes asked",
                                          memory ? fmt::format("{:.0f} bytes", *memory) : std::string("none"),
                                          *asked.memory_bytes));
  }
}

ContainerHook::ContainerHook(ContainerSettings settings) : settings_(std::move(settings)) {
  host_env_ = current_environment();
}

Expected<void> ContainerHook::before_spawn(const CommandSpec&, proc::SpawnRequest& request,
                                           RunRecord& record) {
  ContainerRun run;
  run.client = settings_.client;
  run.global_args = settings_.global_args;
  run.run_args = settings_.run_args;
  run.entry = settings_.entry;
  run.image = settings_.image;
  run.limits = settings_.limits;
  run.env = container_environment(settings_.user_env, request.env, host_env_, settings_.limits,
                                  settings_.markers);
  run.mounts = settings_.mounts;
  run.workdir = request.cwd;   // --cwd names the directory inside the container
  run.command = request.argv;  // as typed: the host's PATH lookup means nothing in the image
  run.name = container_name(static_cast<long>(getpid()), record.sequence);

  if (settings_.host_view) {
    const std::string* path = find_env_entry(request.env, "PATH");
    auto program = proc::resolve_program(request.argv.at(0),
                                         path ? std::string(split_env_entry(*path)->value) : std::string(), "");
    struct stat st {};
    if (program) {
      request.host_equivalent = proc::HostEquivalent{
          *program, request.argv, request.env,
          !request.cwd.empty() && stat(request.cwd.c_str(), &st) == 0 ? request.cwd : std::string()};
    }
  }
  request.program = settings_.client;
  request.argv = container_run_argv(run);
  request.cwd.clear();
  // The client keeps the host environment (DOCKER_HOST, DOCKER_CONFIG, ...)
  // but no marker fd: markers arrive on stdout.
  request.marker_pipe = false;
  std::erase_if(request.env, [](const std::string& entry) {
    return is_entry_for(entry, "COLDBENCH_FD") || is_entry_for(entry, "COLDBENCH_RUN_ID");
  });
  current_name_ = run.name;
  children_before_ = proc::child_pids();
  request.end_orphans = false;  // conmon must survive the client to clean up (after_run waits for it)
  record.isolation = isolation_name(settings_.engine);
  return {};
}

Expected<void> ContainerHook::after_run(const bench::RunEnd& end, RunRecord& record) {
  if (end.started()) apply_container_report(settings_.limits, record);
  // The harness killed the client's process group; the container, run by the
  // engine's daemon (or conmon), is not in it and would keep running.
  if (!current_name_.empty() && end.started() && (end.result().timed_out || end.result().interrupted)) {
    // The spawn path kills whatever it runs while an interrupt is pending, so
    // the flag is lowered for `docker kill` and raised again afterwards (the
    // flag can only be set if the harness's handler is installed).
    const bool interrupted = proc::interrupt_requested();
    proc::clear_interrupt();
    // Best effort: the container may have exited on its own meanwhile. The
    // removal covers an engine whose --rm cleanup died with the client.
    auto killed = run_engine_command(container_kill_argv(settings_.client, settings_.global_args, current_name_),
                                     kKillTimeoutS);
    auto removed = run_engine_command(
        container_remove_argv(settings_.client, settings_.global_args, current_name_), kKillTimeoutS);
    (void)killed;
    (void)removed;
    if (interrupted) raise(SIGINT);
  }
  current_name_.clear();
  // The engine's monitor (conmon) and its cleanup, reparented to the harness
  // (a subreaper), finish removing the container's cgroups and mounts; killing
  // them as a run's orphans would leave those behind.
  if (proc::wait_for_children_except(children_before_, kEngineCleanupGraceS) > 0) {
    record.warnings.push_back(fmt::format(
        "the container engine's helper processes were still running {:g} s after the run and were killed; "
        "the container's cgroups may be left behind",
        kEngineCleanupGraceS));
  }
  return {};
}

}  // namespace coldbench::isolate
