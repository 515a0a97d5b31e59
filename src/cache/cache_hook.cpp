#include "cache/cache_hook.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <set>

#include <unistd.h>

#include "cache/attribution.hpp"
#include "cache/discovery_cache.hpp"
#include "cache/file_mappers.hpp"
#include "cache/file_set.hpp"
#include "cache/page_cache.hpp"
#include "core/units.hpp"

namespace coldbench::cache {
namespace {

int64_t total_size(const std::vector<std::string>& files) {
  int64_t total = 0;
  for (const auto& path : files) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) total += st.st_size;
  }
  return total;
}

}  // namespace

Expected<CacheMode> parse_cache_mode(std::string_view text) {
  if (text == "none") return CacheMode::None;
  if (text == "warm") return CacheMode::Warm;
  if (text == "cold") return CacheMode::Cold;
  if (text == "drop") return CacheMode::Drop;
  if (text == "cold+prefetch") return CacheMode::ColdPrefetch;
  return make_error("--cache '{}': expected none, warm, cold, cold+prefetch or drop", text);
}

std::string_view to_string(CacheMode mode) {
  switch (mode) {
    case CacheMode::None:
      return "none";
    case CacheMode::Warm:
      return "warm";
    case CacheMode::Cold:
      return "cold";
    case CacheMode::Drop:
      return "drop";
    case CacheMode::ColdPrefetch:
      return "cold+prefetch";
  }
  return "none";
}

bool evicts(CacheMode mode) {
  return mode == CacheMode::Cold || mode == CacheMode::Drop || mode == CacheMode::ColdPrefetch;
}

std::vector<std::string> discovery_key_environment(const std::vector<std::string>& env,
                                                   const std::string& isolation) {
  std::vector<std::string> key_env = env;
  if (isolation == "sandbox") {
    for (auto& entry : key_env) {
      if (entry.rfind("HOME=", 0) == 0) entry = "HOME=(sandbox home)";
    }
  }
  return key_env;
}

CacheStateHook::CacheStateHook(CacheSettings settings, CacheNotice notice)
    : settings_(std::move(settings)), notice_(std::move(notice)) {}

Expected<const std::vector<std::string>*> CacheStateHook::files_for(
    const CommandSpec& command, const proc::SpawnRequest& request, const RunRecord& record) {
  if (!settings_.discover) return &settings_.track;
  const bool in_container = record.isolation == "docker" || record.isolation == "podman";
  if (in_container && !request.host_equivalent) {
    if (!settings_.track.empty()) return &settings_.track;  // what the user named is all there is
    return make_error(
        "--cache with --isolate {}: coldbench cannot see which files a workload opens inside this "
        "container, so it cannot discover them; use an image that sees the host's files at the same paths "
        "(scripts/host-image), or name host files with --track (e.g. a model mounted into the container)",
        record.isolation);
  }
  // In a host-view container the files are the host's: traced on the host, the same workload finds them.
  const std::string& program = in_container ? request.host_equivalent->program : request.program;
  const std::vector<std::string>& argv = in_container ? request.host_equivalent->argv : request.argv;
  const std::vector<std::string>& env = in_container ? request.host_equivalent->env : request.env;
  const std::string& cwd = in_container ? request.host_equivalent->cwd : request.cwd;
  std::vector<std::string> key_env = discovery_key_environment(env, record.isolation);
  std::string digest = key_digest(make_discovery_key(program, argv, cwd, key_env));
  if (auto it = files_by_request_.find(digest); it != files_by_request_.end()) return &it->second;

  DiscoveryRequest discovery{program, argv, env, cwd, request.timeout_s, false};
  TrackingOptions tracking = settings_.tracking;
  tracking.on_trace_start = [&] {
    if (notice_)
      notice_(
          fmt::format("command '{}': finding the files it uses (one traced run)...", command.name));
  };
  auto tracked = find_tracked_files(discovery, tracking, &key_env);
  if (!tracked) {
    return tracked.error().with_context(fmt::format("command '{}': file discovery failed", command.name));
  }
  std::vector<std::string> files = std::move(tracked->files);
  std::set<std::string> known(files.begin(), files.end());
  for (const auto& path : settings_.track) {
    if (known.insert(path).second) files.push_back(path);
  }
  if (files.empty()) {
    return make_error(
        "command '{}': no files to track: discovery found none and no --track was given",
        command.name);
  }

  if (notice_) {
    std::string summary =
        fmt::format("{} files, {}", files.size(), format_bytes(double(total_size(files))));
    if (tracked->from_cache) {
      notice_(fmt::format("command '{}': tracking {} (discovered {}, cached in {})", command.name,
                          summary, tracked->discovered_at, tracked->cache_entry));
    } else {
      const auto& traced = *tracked->traced;
      notice_(fmt::format("command '{}': tracking {} (traced run: {} task{}, {}, {}{})",
                          command.name, summary, traced.processes, traced.processes == 1 ? "" : "s",
                          format_ms(traced.wall_ms), traced.describe_outcome(),
                          tracked->rediscover_reason.empty()
                              ? ""
                              : "; rediscovered: " + tracked->rediscover_reason));
      if (!traced.succeeded()) {
        notice_(fmt::format(
            "warning: the traced run of '{}' {}; its files are used this time but not cached",
            command.name, traced.describe_outcome()));
      }
    }
    if (!tracked->cache_problem.empty()) {
      notice_("warning: cannot save the discovery cache (discovery will run again next time): " +
              tracked->cache_problem);
    }
  }
  return &(files_by_request_[digest] = std::move(files));
}

Expected<void> CacheStateHook::apply_mode(const std::vector<std::string>& files) {
  switch (settings_.mode) {
    case CacheMode::None:
      return {};
    case CacheMode::Cold:
    case CacheMode::ColdPrefetch:
      // A file that cannot be evicted (gone, unreadable) cannot be measured
      // either; it drops out of the residency snapshot rather than the session.
      for (const auto& path : files) (void)evict_from_page_cache(path);
      return {};
    case CacheMode::Warm:
      for (const auto& path : files) (void)load_into_page_cache(path);
      return {};
    case CacheMode::Drop:
      return drop_all_page_caches();
  }
  return {};
}

namespace {

// A file eviction left at least this resident is worth naming (with its mappers).
constexpr double kLeftResidentFraction = 0.05;
constexpr int64_t kLeftResidentBytes = 1 << 20;

std::vector<FileResidency> measure_visible(const std::vector<std::string>& files, std::vector<std::string>* hidden) {
  std::vector<FileResidency> measured;
  measured.reserve(files.size());
  for (const auto& path : files) {
    if (!residency_visible(path)) {
      if (hidden) hidden->push_back(path);
      continue;
    }
    if (auto residency = measure_residency(path)) measured.push_back(*residency);
  }
  return measured;
}

}  // namespace

void CacheStateHook::note_left_resident(const std::vector<FileResidency>& measured, RunRecord& record) {
  left_resident_.clear();
  std::set<std::string> candidates;
  for (const auto& f : measured) {
    if (f.size_bytes > 0 && f.resident_bytes >= kLeftResidentBytes &&
        double(f.resident_bytes) / double(f.size_bytes) >= kLeftResidentFraction)
      candidates.insert(f.path);
  }
  if (candidates.empty()) return;
  auto mappers = find_file_mappers(candidates, int(getpid()));
  left_resident_ = left_resident_files(measured, mappers, kLeftResidentFraction, kLeftResidentBytes);
  for (const auto& left : left_resident_) {
    // Once per file and session: the same process keeps it every run.
    if (left_noted_.insert(left.path).second) record.warnings.push_back(describe_left_resident(left));
  }
}

Expected<void> CacheStateHook::before_spawn(const CommandSpec& command, proc::SpawnRequest& request,
                                            RunRecord& record) {
  auto files = files_for(command, request, record);
  if (!files) return files.error();
  const bool replaying = !record.warmup && settings_.mode == CacheMode::ColdPrefetch;
  if (replaying && !prefetch_ranges_) {
    return make_error(
        "--cache cold+prefetch has no prefetch list to replay: give one with --prefetch-list FILE (written by "
        "coldbench run --cache cold --record-prefetch FILE), or run at least one warmup run (-w 1), in which "
        "coldbench records it");
  }
  // cold+prefetch without a list: the first warmup runs cold and its first touches become the list.
  recording_for_replay_ = record.warmup && settings_.mode == CacheMode::ColdPrefetch && !prefetch_ranges_;
  const bool record_to_file = !record.warmup && !cold_start_.record_prefetch.empty() && !recorded_ &&
                              (settings_.mode == CacheMode::Cold || settings_.mode == CacheMode::Drop);
  current_files_ = *files;
  bool all_cold_attribution = false;
  if (!record.warmup && cold_start_.attribute) {
    all_cold_attribution = apply_attribution_condition(**files, record);
  } else if (!record.warmup) {
    auto applied = apply_mode(**files);
    if (!applied) return applied.error();
  } else if (recording_for_replay_) {
    for (const auto& path : **files) (void)evict_from_page_cache(path);
  }
  std::vector<std::string> hidden;
  std::vector<FileResidency> measured = measure_visible(**files, &hidden);
  // Files whose residency the kernel hides are still evicted or loaded, but
  // left out of the snapshot rather than counted as resident. Said once per command.
  if (!hidden.empty() && notice_ && hidden_noted_.insert(*files).second) {
    notice_(
        fmt::format("command '{}': {} of {} tracked files ({}) are evicted/loaded but their "
                    "residency cannot be measured without root (Linux shows it only to a file's "
                    "owner or writers); the residency recorded covers the other {} files "
                    "(docs/cache.md)",
                    command.name, hidden.size(), (*files)->size(),
                    format_bytes(double(total_size(hidden))), measured.size()));
  }
  record.residency = summarize_residency(measured, std::string(to_string(settings_.mode)));
  // Under --attribute only the all-cold runs are cold starts; the others are what each group costs.
  const bool cold_run = !record.warmup && evicts(settings_.mode) && (!cold_start_.attribute || all_cold_attribution);
  attribute_run_ = cold_run || recording_for_replay_;
  left_resident_.clear();
  if (cold_run) note_left_resident(measured, record);
  before_ = attribute_run_ ? std::move(measured) : std::vector<FileResidency>{};

  // Last, so that nothing but the spawn comes between them and the workload.
  if (recording_for_replay_ || record_to_file) {
    recorder_ = std::make_unique<FirstTouchRecorder>(**files, cold_start_.record_interval_ms);
    recorder_->start();
  }
  if (replaying) prefetch_ = std::make_unique<ConcurrentPrefetch>(prefetch_ranges_, cold_start_.prefetch_method);
  return {};
}

bool CacheStateHook::apply_attribution_condition(const std::vector<std::string>& files, RunRecord& record) {
  const AttributionPlan& plan = attribution_plans_[&files];
  const std::string condition = plan.conditions.empty()
                                    ? std::string(kAttributeAllCold)
                                    : plan.conditions[std::size_t(record.index) % plan.conditions.size()];
  record.labels[kAttributeLabel] = condition;
  if (condition == kAttributeAllCold) {
    for (const auto& path : files) (void)evict_from_page_cache(path);
    return true;
  }
  for (const auto& path : files) (void)load_into_page_cache(path);
  if (auto it = plan.cold_files.find(condition); it != plan.cold_files.end()) {
    for (const auto& path : it->second) (void)evict_from_page_cache(path);
  }
  return false;
}

void CacheStateHook::plan_attribution(const std::vector<std::string>& files, const CacheReads& all_reads) {
  AttributionPlan plan;
  plan.conditions = {kAttributeAllCold, kAttributeWarm};
  std::set<std::string> top;
  for (const auto& f : all_reads.top) {
    if (int(top.size()) >= cold_start_.attribute_top) break;
    top.insert(f.path);
    const std::string condition = "cold: " + f.path.substr(f.path.rfind('/') + 1);
    plan.conditions.push_back(condition);
    plan.cold_files[condition] = {f.path};
  }
  std::vector<std::string> rest;
  for (const auto& path : files) {
    if (!top.count(path)) rest.push_back(path);
  }
  std::string summary;
  for (std::size_t k = 2; k < plan.conditions.size(); ++k) summary += (k == 2 ? "" : ", ") + plan.conditions[k].substr(6);
  if (!rest.empty()) {
    const std::string condition = fmt::format("cold: the other {} file{}", rest.size(), rest.size() == 1 ? "" : "s");
    plan.conditions.push_back(condition);
    plan.cold_files[condition] = std::move(rest);
  }
  if (notice_) {
    notice_(fmt::format(
        "--attribute: the first cold run read most from {}; the next runs rotate through {} conditions (all "
        "cold, warm, then one group cold at a time)",
        summary.empty() ? "no file" : summary, plan.conditions.size()));
  }
  attribution_plans_[&files] = std::move(plan);
}

Expected<void> CacheStateHook::after_run(const bench::RunEnd&, RunRecord& record) {
  std::optional<PrefetchOutcome> prefetched;
  if (prefetch_) {
    prefetched = prefetch_->finish();
    prefetch_.reset();
  }
  if (recorder_) {
    std::vector<PrefetchRange> ranges = recorder_->stop();
    int64_t bytes = 0;
    for (const auto& r : ranges) bytes += r.length;
    const std::string how = fmt::format("{} ranges, {}, from {} mincore samples {:g} ms apart", ranges.size(),
                                        format_bytes(double(bytes)), recorder_->samples(), recorder_->interval_ms());
    recorder_.reset();
    if (recording_for_replay_) {
      if (notice_) notice_(fmt::format("prefetch list recorded in warmup run {} (run cold): {}", record.index + 1, how));
      prefetch_ranges_ = std::make_shared<const std::vector<PrefetchRange>>(ranges);
    }
    if (!cold_start_.record_prefetch.empty() && !recorded_) {
      auto written = write_prefetch_list(
          cold_start_.record_prefetch, ranges,
          fmt::format("recorded by coldbench {} from '{}', {}", COLDBENCH_VERSION, record.command, how));
      if (!written) return written.error().with_context("--record-prefetch");
      recorded_ = true;
      if (notice_) notice_(fmt::format("prefetch list written to {}: {}", cold_start_.record_prefetch, how));
    }
  }
  if (!attribute_run_) return {};
  attribute_run_ = false;
  std::vector<std::string> paths;
  paths.reserve(before_.size());
  for (const auto& f : before_) paths.push_back(f.path);
  const std::vector<FileResidency> after = measure_visible(paths, nullptr);
  CacheReads reads = attribute_reads(before_, after, before_.size());
  if (cold_start_.attribute && !record.warmup && current_files_ && attribution_plans_[current_files_].conditions.empty())
    plan_attribution(*current_files_, reads);
  if (!floor_measured_ && reads.read_bytes > 0 && !record.warmup) {
    floor_measured_ = true;
    std::vector<FloorFile> floor_files;
    for (const auto& f : reads.top) floor_files.push_back(FloorFile{f.path, f.read_bytes()});
    if (auto floor = measure_sequential_floor(floor_files)) {
      reads.floor = *floor;
    } else {
      record.warnings.push_back("the disk's sequential-read floor could not be measured: " + floor.error().message);
    }
  }
  if (reads.top.size() > kTopReadFiles) reads.top.resize(kTopReadFiles);
  if (prefetched) {
    reads.prefetched_bytes = prefetched->bytes;
    reads.prefetch_ms = prefetched->ms;
    reads.prefetch_completed = !prefetched->stopped;
  }
  reads.left_resident = std::move(left_resident_);
  left_resident_.clear();
  record.cache_reads = std::move(reads);
  before_.clear();
  return {};
}

Expected<std::unique_ptr<CacheStateHook>> make_cache_hook(CacheMode mode, const std::vector<std::string>& track,
                                                          const std::string& base_dir, bool discover,
                                                          bool rediscover, CacheNotice notice,
                                                          const PrefetchSettings& prefetch, bool attribute) {
  if (!discover && track.empty()) {
    return make_error("without discovery there is nothing to track: name the files with --track PATH|GLOB");
  }
  if (mode == CacheMode::Drop) {
    if (auto reason = drop_caches_unavailable_reason()) return make_error("{}", *reason);
    notice(
        "warning: --cache drop empties the page cache of the whole machine before each measured run; every "
        "other program on it slows down while it reads its files again");
  }
  CacheSettings settings;
  ColdStartSettings cold_start;
  settings.mode = mode;
  settings.discover = discover;
  settings.tracking.rediscover = rediscover;
  if (!prefetch.list.empty() && mode != CacheMode::ColdPrefetch)
    return make_error("--prefetch-list is replayed by --cache cold+prefetch only; add it, or drop --prefetch-list");
  if (!prefetch.record.empty() && mode != CacheMode::Cold && mode != CacheMode::Drop)
    return make_error(
        "--record-prefetch records the first-touch order of a cold start: it needs --cache cold (or drop)");
  if (prefetch.method == "willneed") {
    cold_start.prefetch_method = PrefetchMethod::WillNeed;
  } else if (prefetch.method != "read") {
    return make_error("--prefetch-method '{}': expected read or willneed", prefetch.method);
  }
  cold_start.record_prefetch = prefetch.record;
  if (attribute && mode != CacheMode::Cold) {
    return make_error("--attribute evicts one group of files at a time and compares with warm runs: it needs --cache cold");
  }
  cold_start.attribute = attribute;
  if (!prefetch.list.empty()) {
    cold_start.prefetch_list = prefetch.list;
  }
  if (!track.empty()) {
    auto expanded = expand_file_patterns(track, base_dir);
    if (!expanded.problems.empty()) {
      std::string list;
      for (const auto& p : expanded.problems) list += "\n  " + p;
      return make_error("--track: some files cannot be tracked (fix or drop these patterns):{}", list);
    }
    settings.track = std::move(expanded.files);
  }
  if (discover) {
    if (auto dir = default_cache_dir()) {
      settings.tracking.cache_dir = *dir;
    } else {
      notice("warning: " + dir.error().message + "; discovery will run in every session");
    }
  }
  std::shared_ptr<const std::vector<PrefetchRange>> ranges;
  if (!cold_start.prefetch_list.empty()) {
    auto list = read_prefetch_list(cold_start.prefetch_list);
    if (!list) return list.error();
    ranges = std::make_shared<const std::vector<PrefetchRange>>(std::move(list).value());
  }
  auto hook = std::make_unique<CacheStateHook>(std::move(settings), std::move(notice));
  hook->set_cold_start(std::move(cold_start));
  if (ranges) hook->set_prefetch_ranges(std::move(ranges));
  return hook;
}

}  // namespace coldbench::cache
