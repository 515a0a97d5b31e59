#pragma once
// --isolate docker|podman as a run hook: each run's SpawnRequest becomes the
// engine command (`docker run --rm --name coldbench-<pid>-<seq> ...`) with the
// requested limits, env and mounts; markers come back as "@coldbench " stdout
// lines. A run that times out or is interrupted also gets `docker kill`,
// since killing the client leaves the container running.

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "bench/hooks.hpp"
#include "isolate/container_command.hpp"
#include "isolate/isolation_spec.hpp"
#include "limits/limit_spec.hpp"

namespace coldbench::isolate {

struct ContainerSettings {
  IsolationMode engine = IsolationMode::Docker;
  std::string client;  // resolved engine client
  std::vector<std::string> global_args;  // EnginePlan
  std::vector<std::string> run_args;     // EnginePlan
  std::string entry;                     // coldbench-entry on the host (container_command.hpp)
  std::string image;
  std::vector<ContainerMount> mounts;  // the image's declared host mounts, then --mount
  // The image sees the host's files at the same paths (it declares host mounts
  // and every mount is SRC:SRC): the workload run on the host is equivalent
  // for tracing its files (SpawnRequest::host_equivalent).
  bool host_view = false;
  limits::LimitSpec limits;
  std::vector<std::pair<std::string, std::string>> user_env;  // --env, in order
  bool markers = true;
};

// What the entry point reported from inside (record.info "container.*"),
// applied to the record: an OOM kill in the container's cgroup, a workload
// killed by a signal (the client only passes on 128 + N), the workload's own
// peak RSS and CPU time (the client's are not the workload's), and a warning
// for each limit the container does not see as it was asked.
void apply_container_report(const limits::LimitSpec& asked, RunRecord& record);

class ContainerHook : public bench::RunHook {
 public:
  explicit ContainerHook(ContainerSettings settings);

  Expected<void> before_spawn(const CommandSpec& command, proc::SpawnRequest& request,
                              RunRecord& record) override;
  Expected<void> after_run(const bench::RunEnd& end, RunRecord& record) override;

 private:
  ContainerSettings settings_;
  std::vector<std::string> host_env_;  // the harness's own environment, what runs merely inherit
  std::string current_name_;           // the container of the run in flight
  std::vector<pid_t> children_before_;  // the harness's children before the run: not the engine's
};

}  // namespace coldbench::isolate
