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
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bench/hooks.hpp"
#include "cache/prefetch.hpp"
#include "cache/tracked_files.hpp"
#include "core/expected.hpp"

namespace coldbench::cache {

// ColdPrefetch: evicted like Cold, then a prefetch list is replayed on a
// thread of the harness that starts just before the workload and races it.
enum class CacheMode { None, Warm, Cold, Drop, ColdPrefetch };

Expected<CacheMode> parse_cache_mode(std::string_view text);
std::string_view to_string(CacheMode mode);

struct CacheSettings {
  CacheMode mode = CacheMode::None;
  std::vector<std::string> track;  // --track files, expanded and absolute
  bool discover = true;            // trace each command once to find its files
  TrackingOptions tracking;
};

// The --attribute conditions' labels.
inline constexpr const char* kAttributeLabel = "attribute";
inline constexpr const char* kAttributeAllCold = "cold: all";
inline constexpr const char* kAttributeWarm = "warm";

// What a cold start is attributed to and how it is remedied (docs/cache.md):
// kept apart from CacheSettings, which callers build as an aggregate.
struct ColdStartSettings {
  // cold+prefetch: the list to replay (empty: recorded in the first warmup run).
  std::string prefetch_list;
  PrefetchMethod prefetch_method = PrefetchMethod::Read;
  // Where to write the first-touch order recorded in the first measured cold run (empty: not recorded).
  std::string record_prefetch;
  double record_interval_ms = 5.0;
  // --attribute: measured runs rotate through conditions (all cold, warm, one
  // group of files cold at a time: the top files by bytes read, then the
  // rest), labelled "attribute"; the first measured run (all cold) picks the groups.
  bool attribute = false;
  int attribute_top = 3;
};

// Whether the mode evicts the tracked files before each measured run.
bool evicts(CacheMode mode);

// Something the user should know (discovery started or reused, a cache entry
// that could not be written); the CLI decides how to show it.
using CacheNotice = std::function<void(const std::string&)>;

class CacheStateHook : public bench::RunHook {
 public:
  CacheStateHook(CacheSettings settings, CacheNotice notice);

  Expected<void> before_spawn(const CommandSpec& command, proc::SpawnRequest& request,
                              RunRecord& record) override;
  Expected<void> after_run(const bench::RunEnd&, RunRecord& record) override;

  const CacheSettings& settings() const { return settings_; }
  void set_cold_start(ColdStartSettings cold_start) { cold_start_ = std::move(cold_start); }
  const ColdStartSettings& cold_start() const { return cold_start_; }
  void set_prefetch_ranges(std::shared_ptr<const std::vector<PrefetchRange>> ranges) {
    prefetch_ranges_ = std::move(ranges);
  }

 private:
  Expected<const std::vector<std::string>*> files_for(const CommandSpec& command,
                                                      const proc::SpawnRequest& request,
                                                      const RunRecord& record);
  Expected<void> apply_mode(const std::vector<std::string>& files);

  void note_left_resident(const std::vector<FileResidency>& measured, RunRecord& record);
  // --attribute: the condition of this measured run, applied; whether it is an all-cold run.
  bool apply_attribution_condition(const std::vector<std::string>& files, RunRecord& record);
  void plan_attribution(const std::vector<std::string>& files, const CacheReads& all_reads);

  struct AttributionPlan {
    std::vector<std::string> conditions;               // labels, in rotation order; empty: not planned yet
    std::map<std::string, std::vector<std::string>> cold_files;  // condition -> files evicted (others loaded)
  };
  std::map<const std::vector<std::string>*, AttributionPlan> attribution_plans_;
  const std::vector<std::string>* current_files_ = nullptr;

  CacheSettings settings_;
  ColdStartSettings cold_start_;
  CacheNotice notice_;
  // The run in progress: residency before it, and what runs beside it.
  std::vector<FileResidency> before_;
  std::vector<LeftResident> left_resident_;
  bool attribute_run_ = false;
  std::unique_ptr<FirstTouchRecorder> recorder_;
  bool recording_for_replay_ = false;  // the recording becomes this session's prefetch list
  std::unique_ptr<ConcurrentPrefetch> prefetch_;
  std::shared_ptr<const std::vector<PrefetchRange>> prefetch_ranges_;
  bool recorded_ = false;        // --record-prefetch has been written
  bool floor_measured_ = false;  // the sequential floor is measured once per session
  std::set<std::string> left_noted_;  // files whose stay-resident warning was given
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
struct PrefetchSettings {
  std::string list;    // cold+prefetch: replay this list (empty: record one in the first warmup run)
  std::string method = "read";  // read | willneed
  std::string record;  // write the first-touch order of the first measured cold run here
};
Expected<std::unique_ptr<CacheStateHook>> make_cache_hook(CacheMode mode, const std::vector<std::string>& track,
                                                          const std::string& base_dir, bool discover,
                                                          bool rediscover, CacheNotice notice,
                                                          const PrefetchSettings& prefetch = {}, bool attribute = false);

// The environment a command's discovery entry is keyed by: the run's own,
// except that a sandbox's per-session HOME is replaced by a fixed marker
// (it differs every session, the files the workload reads do not).
std::vector<std::string> discovery_key_environment(const std::vector<std::string>& env,
                                                   const std::string& isolation);

}  // namespace coldbench::cache
