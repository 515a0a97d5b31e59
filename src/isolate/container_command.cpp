#include "isolate/container_command.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/env_var.hpp"

namespace coldbench::isolate {
namespace {

void set_pair(std::vector<std::pair<std::string, std::string>>& env, const std::string& key,
              std::string value) {
  for (auto& kv : env) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  }
  env.emplace_back(key, std::move(value));
}

}  // namespace

std::string container_name(long harness_pid, int sequence) {
  return fmt::format("coldbench-{}-{}", harness_pid, sequence);
}

std::vector<std::pair<std::string, std::string>> container_environment(
    const std::vector<std::pair<std::string, std::string>>& user_env,
    const std::vector<std::string>& run_env, const std::vector<std::string>& host_env,
    const limits::LimitSpec& limits, bool markers) {
  std::vector<std::pair<std::string, std::string>> env;
  for (const auto& [key, value] : user_env) set_pair(env, key, value);
  for (const auto& entry : run_env) {
    auto split = split_env_entry(entry);
    if (!split) continue;
    std::string key(split->name);
    // The marker variables are the harness's own, handled below.
    if (key == "COLDBENCH_FD" || key == "COLDBENCH_RUN_ID" || key == "COLDBENCH_MARKERS") continue;
    if (std::find(host_env.begin(), host_env.end(), entry) != host_env.end())
      continue;  // inherited as is
    set_pair(env, key, std::string(split->value));
  }
  if (limits.threads) {
    // The variables --threads sets, passed into the container when it was given.
    for (std::string_view key : thread_count_variables()) {
      if (const std::string* entry = find_env_entry(run_env, key)) {
        set_pair(env, std::string(key), std::string(split_env_entry(*entry)->value));
      }
    }
  }
  // No fd crosses into a container: markers come back as "@coldbench " stdout lines.
  if (markers) set_pair(env, "COLDBENCH_MARKERS", "stdout");
  if (const std::string* entry = find_env_entry(run_env, "COLDBENCH_RUN_ID"))
    set_pair(env, "COLDBENCH_RUN_ID", std::string(split_env_entry(*entry)->value));
  return env;
}

Expected<void> check_container_limits(const limits::LimitSpec& limits) {
  if (limits.affinity) {
    return make_error(
        "--affinity cannot be applied to a container (engines know no affinity, only cpusets); "
        "use --cpuset {} instead, which becomes --cpuset-cpus",
        *limits.affinity);
  }
  return {};
}

std::vector<std::string> container_run_argv(const ContainerRun& run) {
  std::vector<std::string> argv = {run.client};
  argv.insert(argv.end(), run.global_args.begin(), run.global_args.end());
  argv.insert(argv.end(), {"run", "--rm", "--name", run.name});
  argv.insert(argv.end(), run.run_args.begin(), run.run_args.end());
  const limits::LimitSpec& limits = run.limits;
  if (limits.cpus) {
    argv.insert(argv.end(), {"--cpus", fmt::format("{}", *limits.cpus)});
  }
  if (limits.cpuset) argv.insert(argv.end(), {"--cpuset-cpus", *limits.cpuset});
  if (limits.memory_bytes) {
    // The same value for memory+swap: no swap, so the limit means what it says.
    std::string bytes = std::to_string(*limits.memory_bytes);
    argv.insert(argv.end(), {"--memory", bytes, "--memory-swap", bytes});
  }
  for (const auto& [key, value] : run.env) argv.insert(argv.end(), {"-e", key + "=" + value});
  for (const auto& mount : run.mounts) {
    argv.insert(argv.end(),
                {"-v", mount.source + ":" + mount.target + (mount.read_only ? ":ro" : "")});
  }
  if (!run.entry.empty()) {
    argv.insert(argv.end(), {"-v", run.entry + ":" + kEntryInContainer + ":ro", "--entrypoint", kEntryInContainer});
  }
  if (!run.workdir.empty()) argv.insert(argv.end(), {"-w", run.workdir});
  argv.push_back(run.image);
  argv.insert(argv.end(), run.command.begin(), run.command.end());
  return argv;
}

std::vector<std::string> container_kill_argv(const std::string& client, const std::vector<std::string>& global_args,
                                             const std::string& name) {
  std::vector<std::string> argv = {client};
  argv.insert(argv.end(), global_args.begin(), global_args.end());
  argv.insert(argv.end(), {"kill", name});
  return argv;
}

std::vector<std::string> container_remove_argv(const std::string& client, const std::vector<std::string>& global_args,
                                               const std::string& name) {
  std::vector<std::string> argv = {client};
  argv.insert(argv.end(), global_args.begin(), global_args.end());
  argv.insert(argv.end(), {"rm", "--force", name});
  return argv;
}

}  // namespace coldbench::isolate
