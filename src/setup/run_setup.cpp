#include "setup/run_setup.hpp"

#include <unistd.h>

#include <climits>

#include "isolate/isolation_hook.hpp"
#include "loader/loader_hook.hpp"

namespace coldbench::setup {

std::vector<bench::RunHook*> RunHooks::in_order() const {
  std::vector<bench::RunHook*> hooks;
  for (bench::RunHook* hook : {static_cast<bench::RunHook*>(limits.get()), isolation.get(), loader.get(),
                               static_cast<bench::RunHook*>(cache.get())}) {
    if (hook) hooks.push_back(hook);
  }
  return hooks;
}

Expected<RunHooks> make_run_hooks(const RunSetup& setup, cache::CacheNotice notice) {
  RunHooks hooks;
  // Container engines apply CPU and memory limits themselves; a cgroup around
  // the engine's client would limit nothing.
  const bool engine = isolate::is_container_engine(setup.isolation.mode);
  auto limits_hook =
      limits::make_limits_hook(setup.limits, engine ? limits::LimitsMode::Engine : limits::LimitsMode::Harness);
  if (!limits_hook) return limits_hook.error();
  hooks.limits = std::move(limits_hook).value();
  hooks.notes = hooks.limits->notes();

  auto isolation_hook =
      isolate::make_isolation_hook(setup.isolation, hooks.limits->limits().spec, setup.env, setup.markers);
  if (!isolation_hook) return isolation_hook.error();
  hooks.isolation = std::move(isolation_hook).value();

  if (setup.loader_stats) {
    if (setup.isolation.mode != isolate::IsolationMode::Host) {
      return make_error(
          "--loader-stats reads the loader's report from a host path, which a sandbox or container does not see. "
          "fix: drop --isolate, or drop --loader-stats");
    }
    auto loader_hook = loader::make_loader_hook();
    if (!loader_hook) return loader_hook.error();
    hooks.loader = std::move(loader_hook).value();
  }

  if (setup.cache) {
    const CacheSetup& cache = *setup.cache;
    auto cache_hook = cache::make_cache_hook(cache.mode, cache.track, setup.cwd, cache.discover, cache.rediscover,
                                             std::move(notice), setup.prefetch, setup.attribute);
    if (!cache_hook) return cache_hook.error();
    hooks.cache = std::move(cache_hook).value();
  }
  return hooks;
}

std::string current_directory() {
  char buffer[PATH_MAX];
  return getcwd(buffer, sizeof buffer) ? std::string(buffer) : std::string("/");
}

}  // namespace coldbench::setup
