#include "cache/cache_hook.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <set>

#include "cache/discovery_cache.hpp"
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
  return make_error("--cache '{}': expected none, warm, cold or drop", text);
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
  }
  return "none";
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

Expected<void> CacheStateHook::before_spawn(const CommandSpec& command, proc::SpawnRequest& request,
                                            RunRecord& record) {
  auto files = files_for(command, request, record);
  if (!files) return files.error();
  if (!record.warmup) {
    auto applied = apply_mode(**files);
    if (!applied) return applied.error();
  }
  std::vector<FileResidency> measured;
  measured.reserve((*files)->size());
  std::vector<std::string> hidden;
  for (const auto& path : **files) {
    if (!residency_visible(path)) {
      hidden.push_back(path);
      continue;
    }
    if (auto residency = measure_residency(path)) measured.push_back(*residency);
  }
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
  return {};
}

Expected<std::unique_ptr<CacheStateHook>> make_cache_hook(CacheMode mode, const std::vector<std::string>& track,
                                                          const std::string& base_dir, bool discover,
                                                          bool rediscover, CacheNotice notice) {
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
  settings.mode = mode;
  settings.discover = discover;
  settings.tracking.rediscover = rediscover;
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
  return std::make_unique<CacheStateHook>(std::move(settings), std::move(notice));
}

}  // namespace coldbench::cache
