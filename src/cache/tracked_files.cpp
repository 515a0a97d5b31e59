#include "cache/tracked_files.hpp"

#include "cache/discovery_cache.hpp"
#include "core/clock.hpp"

namespace coldbench::cache {

Expected<TrackedFiles> find_tracked_files(const DiscoveryRequest& request,
                                          const TrackingOptions& options,
                                          const std::vector<std::string>* key_env) {
  TrackedFiles tracked;
  DiscoveryKey key = make_discovery_key(request.program, request.argv, request.cwd,
                                        key_env ? *key_env : request.env);
  if (!options.cache_dir.empty()) {
    tracked.cache_entry = cache_entry_path(options.cache_dir, key);
    if (options.rediscover) {
      tracked.rediscover_reason = "--rediscover was given";
    } else if (auto cached = load_cached_discovery(options.cache_dir, key)) {
      tracked.rediscover_reason = stale_reason(*cached, key);
      if (tracked.rediscover_reason.empty()) {
        tracked.from_cache = true;
        tracked.discovered_at = cached->discovered_at;
        for (const auto& f : cached->files) tracked.files.push_back(f.path);
        return tracked;
      }
    }
  }

  if (options.on_trace_start) options.on_trace_start();
  std::string started_at = utc_timestamp();
  auto traced = discover_files(request);
  if (!traced) return traced.error();
  tracked.files = traced->files;
  tracked.discovered_at = started_at;
  tracked.traced = *traced;
  // A failed run may have stopped before it opened everything: use what it
  // found this time, but do not let it stand for the command next time.
  if (options.cache_dir.empty() || !traced->succeeded()) {
    tracked.cache_entry.clear();
    return tracked;
  }

  CachedDiscovery entry;
  entry.key = key;
  entry.discovered_at = started_at;
  entry.discovery_ms = traced->wall_ms;
  auto program = stamp_file(request.program);
  if (!program) {
    tracked.cache_problem = program.error().message;
    tracked.cache_entry.clear();
    return tracked;
  }
  entry.program = *program;
  for (const auto& path : traced->files) {
    if (auto stamp = stamp_file(path)) entry.files.push_back(*stamp);
  }
  auto saved = save_cached_discovery(options.cache_dir, entry);
  if (!saved) {
    tracked.cache_problem = saved.error().message;
    tracked.cache_entry.clear();
  }
  return tracked;
}

}  // namespace coldbench::cache
