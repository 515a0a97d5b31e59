#include "isolate/container_hook.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "core/env_var.hpp"
#include "isolate/container_engine.hpp"


namespace coldbench::isolate {
namespace {

constexpr double kKillTimeoutS = 15;

}  // namespace

ContainerHook::ContainerHook(ContainerSettings settings) : settings_(std::move(settings)) {
  host_env_ = current_environment();
}

Expected<void> ContainerHook::before_spawn(const CommandSpec&, proc::SpawnRequest& request,
                                           RunRecord& record) {
  ContainerRun run;
  run.client = settings_.client;
  run.image = settings_.image;
  run.limits = settings_.limits;
  run.env = container_environment(settings_.user_env, request.env, host_env_, settings_.limits,
                                  settings_.markers);
  run.mounts = settings_.mounts;
  run.workdir = request.cwd;   // --cwd names the directory inside the container
  run.command = request.argv;  // as typed: the host's PATH lookup means nothing in the image
  run.name = container_name(static_cast<long>(getpid()), record.sequence);

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
  record.isolation = isolation_name(settings_.engine);
  return {};
}

Expected<void> ContainerHook::after_run(const bench::RunEnd& end, RunRecord&) {
  // The harness killed the client's process group; the container, run by the
  // engine's daemon (or conmon), is not in it and would keep running.
  if (!current_name_.empty() && end.started() && (end.result().timed_out || end.result().interrupted)) {
    // The spawn path kills whatever it runs while an interrupt is pending, so
    // the flag is lowered for `docker kill` and raised again afterwards (the
    // flag can only be set if the harness's handler is installed).
    const bool interrupted = proc::interrupt_requested();
    proc::clear_interrupt();
    auto killed =
        run_engine_command(container_kill_argv(settings_.client, current_name_), kKillTimeoutS);
    (void)killed;  // best effort: the container may have exited on its own meanwhile
    if (interrupted) raise(SIGINT);
  }
  current_name_.clear();
  return {};
}

}  // namespace coldbench::isolate
