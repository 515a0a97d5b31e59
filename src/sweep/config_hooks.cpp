// The run hooks of one sweep config, built by the same factories that
// `coldbench run` uses: limits, then isolation, then cache state (last, so
// nothing touches the page cache between its action and the spawn).

#include <unistd.h>

#include <climits>
#include <cstdio>

#include <fmt/format.h>

#include "cache/cache_hook.hpp"
#include "isolate/isolation_hook.hpp"
#include "isolate/isolation_spec.hpp"
#include "limits/limits_hook.hpp"
#include "sweep/sweep_runner.hpp"

namespace coldbench::sweep {
namespace {

std::string current_directory() {
  char buffer[PATH_MAX];
  return getcwd(buffer, sizeof buffer) ? buffer : "/";
}

void print_notice(const std::string& text) {
  fmt::print(stderr, "{}coldbench: {}\n", isatty(STDERR_FILENO) ? "\r\033[K" : "", text);
  std::fflush(stderr);
}

}  // namespace

Expected<HookList> make_config_hooks(const ConfigSpec& config) {
  HookList hooks;
  auto isolation = isolate::make_isolation_spec(config.isolation, config.image, config.mounts, current_directory());
  if (!isolation) return isolation.error();
  const bool engine = isolate::is_container_engine(isolation->mode);

  auto limits_hook =
      limits::make_limits_hook(config.limits, engine ? limits::LimitsMode::Engine : limits::LimitsMode::Harness);
  if (!limits_hook) return limits_hook.error();
  const limits::LimitSpec resolved = (*limits_hook)->limits().spec;
  hooks.push_back(std::move(limits_hook).value());

  auto isolation_hook = isolate::make_isolation_hook(*isolation, resolved, config.env, /*markers=*/true);
  if (!isolation_hook) return isolation_hook.error();
  if (*isolation_hook) hooks.push_back(std::move(isolation_hook).value());

  if (config.cache != "none" || !config.track.empty()) {
    auto mode = cache::parse_cache_mode(config.cache);
    if (!mode) return mode.error();
    auto cache_hook = cache::make_cache_hook(*mode, config.track, current_directory(), /*discover=*/!engine,
                                             /*rediscover=*/false, print_notice);
    if (!cache_hook) return cache_hook.error();
    hooks.push_back(std::move(cache_hook).value());
  }
  return hooks;
}

}  // namespace coldbench::sweep
