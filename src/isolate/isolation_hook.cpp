#include "isolate/isolation_hook.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "isolate/container_engine.hpp"
#include "isolate/container_hook.hpp"
#include "isolate/sandbox_hook.hpp"

namespace coldbench::isolate {
namespace {

Expected<std::unique_ptr<bench::RunHook>> make_container_hook(
    const IsolationSpec& spec, const limits::LimitSpec& limits,
    const std::vector<std::pair<std::string, std::string>>& user_env, bool markers) {
  for (const auto& mount : spec.mounts) {
    struct stat st {};
    if (stat(mount.source.c_str(), &st) != 0) {
      return make_error(
          "--mount: the source '{}' does not exist on this host (an engine would create it as an "
          "empty root-owned directory)",
          mount.source);
    }
  }
  auto limits_ok = check_container_limits(limits);
  if (!limits_ok) return limits_ok.error();
  const char* path = std::getenv("PATH");
  auto client = find_engine_client(spec.mode, path ? path : "/usr/local/bin:/usr/bin:/bin");
  if (!client) return client.error();
  auto ready = prepare_engine(spec.mode, *client, spec.image);
  if (!ready) return ready.error();
  std::string entry = entry_program_path();
  if (access(entry.c_str(), X_OK) != 0) {
    return make_error(
        "--isolate {}: the entry point {} is missing (it is built beside coldbench: run `make`, or set "
        "COLDBENCH_ENTRY to its path)",
        isolation_name(spec.mode), entry);
  }

  ContainerSettings settings;
  settings.engine = spec.mode;
  settings.client = std::move(client).value();
  settings.global_args = ready->state.plan.global_args;
  settings.run_args = ready->state.plan.run_args;
  settings.entry = std::move(entry);
  settings.image = spec.image;
  // The image's declared mounts, except where a --mount names the same target
  // (engines refuse two mounts on one path): the user's choice wins.
  for (const auto& mount : ready->image_mounts) {
    const bool overridden = std::any_of(spec.mounts.begin(), spec.mounts.end(),
                                        [&](const ContainerMount& own) { return own.target == mount.target; });
    if (!overridden) settings.mounts.push_back(mount);
  }
  settings.mounts.insert(settings.mounts.end(), spec.mounts.begin(), spec.mounts.end());
  settings.host_view = !ready->image_mounts.empty() &&
                       std::all_of(settings.mounts.begin(), settings.mounts.end(),
                                   [](const ContainerMount& mount) { return mount.source == mount.target; });
  settings.limits = limits;
  settings.user_env = user_env;
  settings.markers = markers;
  return std::unique_ptr<bench::RunHook>(std::make_unique<ContainerHook>(std::move(settings)));
}

}  // namespace

Expected<std::unique_ptr<bench::RunHook>> make_isolation_hook(
    const IsolationSpec& spec, const limits::LimitSpec& limits,
    const std::vector<std::pair<std::string, std::string>>& user_env, bool markers) {
  switch (spec.mode) {
    case IsolationMode::Host:
      return std::unique_ptr<bench::RunHook>();
    case IsolationMode::Sandbox: {
      auto hook = SandboxHook::create(user_env);
      if (!hook) return hook.error();
      return std::unique_ptr<bench::RunHook>(std::move(hook).value());
    }
    case IsolationMode::Docker:
    case IsolationMode::Podman:
      return make_container_hook(spec, limits, user_env, markers);
  }
  return std::unique_ptr<bench::RunHook>();
}

}  // namespace coldbench::isolate
