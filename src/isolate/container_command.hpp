#pragma once
// The engine command a containerised run executes: a pure function from
// what was asked (engine, image, limits, env, mounts, working directory,
// command, run id) to the argv of `docker run` / `podman run`.

#include <string>
#include <utility>
#include <vector>

#include "isolate/isolation_spec.hpp"
#include "limits/limit_spec.hpp"

namespace coldbench::isolate {

// Where the entry point (src/entry) appears inside every container.
inline constexpr const char* kEntryInContainer = "/.coldbench/entry";

struct ContainerRun {
  std::string client;  // the engine's client program, e.g. /usr/bin/docker
  std::vector<std::string> global_args;  // before `run` (EnginePlan::global_args)
  std::vector<std::string> run_args;     // after `run` (EnginePlan::run_args: rlimits)
  std::string entry;                     // host path of coldbench-entry; empty: the image's own entrypoint
  std::string image;
  limits::LimitSpec limits;
  std::vector<std::pair<std::string, std::string>> env;  // exactly what the container gets
  std::vector<ContainerMount> mounts;
  std::string workdir;               // empty: the image's WORKDIR
  std::vector<std::string> command;  // argv inside the container
  std::string name;                  // see container_name()
};

// "coldbench-<harness pid>-<run sequence>": unique per run, so a run that
// timed out can be killed by name (`docker kill`).
std::string container_name(long harness_pid, int sequence);

// The container's environment: what coldbench sets for the run and nothing
// it merely inherited. That is the --env values, every run variable that is
// not in `host_env` as is (a sweep's per-config env, --threads variables),
// the --threads variables even where the host has the same values, and with
// markers on COLDBENCH_MARKERS=stdout plus COLDBENCH_RUN_ID. The host's own
// environment describes the host, not the image, so it stays out.
std::vector<std::pair<std::string, std::string>> container_environment(
    const std::vector<std::pair<std::string, std::string>>& user_env,
    const std::vector<std::string>& run_env, const std::vector<std::string>& host_env,
    const limits::LimitSpec& limits, bool markers);

// Checks that the limits can be expressed as engine flags (--affinity cannot:
// the engine only knows cpusets).
Expected<void> check_container_limits(const limits::LimitSpec& limits);

// CLIENT [GLOBAL...] run --rm --name NAME [RUN_ARGS...] [--cpus F]
// [--cpuset-cpus LIST] [--memory B --memory-swap B] [-e K=V]...
// [-v SRC:DST[:ro]]... [-v ENTRY:/.coldbench/entry:ro --entrypoint
// /.coldbench/entry] [-w DIR] IMAGE COMMAND...
std::vector<std::string> container_run_argv(const ContainerRun& run);

// CLIENT [GLOBAL...] kill NAME: stops a container whose client was killed
// (killing the client leaves the container running).
std::vector<std::string> container_kill_argv(const std::string& client, const std::vector<std::string>& global_args,
                                             const std::string& name);
// CLIENT [GLOBAL...] rm --force NAME: what a killed client left behind.
std::vector<std::string> container_remove_argv(const std::string& client, const std::vector<std::string>& global_args,
                                               const std::string& name);

}  // namespace coldbench::isolate
