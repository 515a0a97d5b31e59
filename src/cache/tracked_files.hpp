#pragma once
// The files a command's cache state is about: from the discovery cache while
// it is fresh, otherwise from a new traced run (which is then cached).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cache/discovery.hpp"
#include "core/expected.hpp"

namespace coldbench::cache {

struct TrackingOptions {
  std::string cache_dir;    // empty: no discovery cache (always trace)
  bool rediscover = false;  // ignore a cached entry
  std::function<void()>
      on_trace_start;  // called when a traced run is about to start (it takes a while)
};

struct TrackedFiles {
  std::vector<std::string> files;
  bool from_cache = false;
  std::string cache_entry;        // the entry read or written; empty if none
  std::string discovered_at;      // when the files were discovered (UTC)
  std::string rediscover_reason;  // why a cached entry was not used ("... was modified"); empty if
                                  // none was there
  std::optional<DiscoveryResult> traced;  // the traced run, when there was one
  std::string cache_problem;  // the entry could not be written (the files are still good)
};

// `key_env`: the environment the cache entry is keyed by, when it is not request.env.
Expected<TrackedFiles> find_tracked_files(const DiscoveryRequest& request,
                                          const TrackingOptions& options,
                                          const std::vector<std::string>* key_env = nullptr);

}  // namespace coldbench::cache
