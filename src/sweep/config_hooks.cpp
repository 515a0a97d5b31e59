// The run hooks of one sweep config, built by the same factories that
// `coldbench run` uses: limits, then isolation, then cache state (last, so
// nothing touches the page cache between its action and the spawn).

#include <unistd.h>

#include <climits>
#include <cstdio>

#include <fmt/format.h>

#include "cache/cache_hook.hpp"
#include "cache/discovery_cache.hpp"
#include "cache/file_set.hpp"
#include "cache/page_cache.hpp"
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

Expected<std::unique_ptr<bench::RunHook>> make_cache_hook(const ConfigSpec& config) {
  auto mode = cache::parse_cache_mode(config.cache);
  if (!mode) return mode.error();
  if (*mode == cache::CacheMode::Drop) {
    if (auto reason = cache::drop_caches_unavailable_reason()) return make_error("{}", *reason);
  }
  cache::CacheSettings settings;
  settings.mode = *mode;
  if (!config.track.empty()) {
    auto expanded = cache::expand_file_patterns(config.track, current_directory());
    if (!expanded.problems.empty()) {
      std::string list;
      for (const auto& p : expanded.problems) list += "\n  " + p;
      return make_error("track: some files cannot be tracked:{}", list);
    }
    settings.track = std::move(expanded.files);
  }
  if (auto dir = cache::default_cache_dir()) settings.tracking.cache_dir = *dir;
  return std::unique_ptr<bench::RunHook>(std::make_unique<cache::CacheStateHook>(std::move(settings), print_notice));
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
    auto cache_hook = make_cache_hook(config);
    if (!cache_hook) return cache_hook.error();
    hooks.push_back(std::move(cache_hook).value());
  }
  return hooks;
}

}  // namespace coldbench::sweep
