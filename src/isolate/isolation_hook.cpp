#include "isolate/isolation_hook.hpp"

#include <sys/stat.h>

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
  auto ready = check_engine_ready(spec.mode, *client, spec.image);
  if (!ready) return ready.error();

  ContainerSettings settings;
  settings.engine = spec.mode;
  settings.client = std::move(client).value();
  settings.image = spec.image;
  settings.mounts = spec.mounts;
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
