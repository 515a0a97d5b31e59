#pragma once
// Cache state as a run hook (`coldbench run --cache MODE`): before each
// measured run it evicts (cold), loads (warm) or globally drops (drop) the
// tracked files' pages, and before every run, warmups included, it records
// their residency in RunRecord::residency. It must be the last hook, so that
// nothing touches the page cache between its action and the spawn.
//
// Warmup runs get no cache action: they run in whatever state the previous
// run left, so they warm what the mode does not control (.pyc files,
// ~/.cache, the dentry cache, CPU clocks) and a global drop is not paid for
// runs nobody reads. Their residency is still recorded.

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bench/hooks.hpp"
#include "cache/tracked_files.hpp"
#include "core/expected.hpp"

namespace coldbench::cache {

enum class CacheMode { None, Warm, Cold, Drop };

Expected<CacheMode> parse_cache_mode(std::string_view text);
std::string_view to_string(CacheMode mode);

struct CacheSettings {
  CacheMode mode = CacheMode::None;
  std::vector<std::string> track;  // --track files, expanded and absolute
  bool discover = true;            // trace each command once to find its files
  TrackingOptions tracking;
};

// Something the user should know (discovery started or reused, a cache entry
// that could not be written); the CLI decides how to show it.
using CacheNotice = std::function<void(const std::string&)>;

class CacheStateHook : public bench::RunHook {
 public:
  CacheStateHook(CacheSettings settings, CacheNotice notice);

  Expected<void> before_spawn(const CommandSpec& command, proc::SpawnRequest& request,
                              RunRecord& record) override;
  Expected<void> after_run(const bench::RunEnd&, RunRecord&) override { return {}; }

  const CacheSettings& settings() const { return settings_; }

 private:
  Expected<const std::vector<std::string>*> files_for(const CommandSpec& command,
                                                      const proc::SpawnRequest& request,
                                                      const RunRecord& record);
  Expected<void> apply_mode(const std::vector<std::string>& files);

  CacheSettings settings_;
  CacheNotice notice_;
  std::map<std::string, std::vector<std::string>>
      files_by_request_;  // discovery key digest -> tracked files
  std::set<const std::vector<std::string>*>
      hidden_noted_;  // file sets whose unmeasurable files were reported
};

// The hook as `coldbench run --cache` and sweeps build it: `track` patterns
// are expanded against `base_dir`; `discover` traces each command once (its
// result cached in the user's cache dir unless `rediscover`). Checks that
// would fail every run alike (drop without root, untrackable files) are
// errors here, before any run; a global drop is announced through `notice`.
Expected<std::unique_ptr<CacheStateHook>> make_cache_hook(CacheMode mode, const std::vector<std::string>& track,
                                                          const std::string& base_dir, bool discover,
                                                          bool rediscover, CacheNotice notice);

// The environment a command's discovery entry is keyed by: the run's own,
// except that a sandbox's per-session HOME is replaced by a fixed marker
// (it differs every session, the files the workload reads do not).
std::vector<std::string> discovery_key_environment(const std::vector<std::string>& env,
                                                   const std::string& isolation);

}  // namespace coldbench::cache
