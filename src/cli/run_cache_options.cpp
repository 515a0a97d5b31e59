// `coldbench run --cache none|warm|cold|drop [--track PATH|GLOB]...
// [--rediscover] [--no-discover]`: turns the flags into the setup's cache
// settings (the cache-state hook runs last, setup/run_setup.hpp).

#include <memory>

#include "cache/cache_hook.hpp"
#include "cli/run_option_groups.hpp"

namespace coldbench::cli {
namespace {

class CacheOptionGroup : public RunOptionGroup {
 public:
  void add_options(CLI::App& sub) override {
    sub.add_option(
           "--cache", mode_,
           "Page-cache state of the command's files before each measured run: none (only record "
           "residency), warm (read them all), cold (evict them with posix_fadvise; no root "
           "needed), cold+prefetch (cold, then a prefetch list replayed racing the start), drop (sync and "
           "drop_caches for the whole machine; root). Files come from a traced discovery run plus --track; every "
           "run records their residency, cold runs the bytes each file gained (docs/cache.md)")
        ->check(CLI::IsMember({"none", "warm", "cold", "cold+prefetch", "drop"}));
    sub.add_option("--prefetch-list", prefetch_.list,
                   "FILE: the prefetch list --cache cold+prefetch replays (default: recorded in the first warmup "
                   "run)");
    sub.add_option("--prefetch-method", prefetch_.method,
                   "How cold+prefetch replays the list: read (pread each range in order; default) or willneed "
                   "(posix_fadvise WILLNEED: asks the kernel to read ahead and returns)")
        ->check(CLI::IsMember({"read", "willneed"}));
    sub.add_option("--record-prefetch", prefetch_.record,
                   "FILE: with --cache cold, write the order in which the first measured run first touched the "
                   "tracked files' pages as a prefetch list (mincore sampled every 5 ms); replay it with "
                   "coldbench prefetch FILE or --cache cold+prefetch --prefetch-list FILE");
    sub.add_flag("--attribute", attribute_,
                 "With --cache cold: what each group of files' coldness costs. The first measured run is all cold "
                 "and finds the 3 files it read most; the runs then rotate through all cold, warm, each of those "
                 "files cold alone, the other files cold; findings give each group's cost in the first phase "
                 "against warm, with intervals. Use -r (--runs) as a multiple of 6 (at least 12)");
    sub.add_option("--track", track_,
                   "PATH|GLOB: also track these files (repeatable; directories are recursed, "
                   "globs allow {a,b}; relative to the current directory)");
    sub.add_flag("--rediscover", rediscover_,
                 "Trace the command again instead of using the discovery cache");
    sub.add_flag(
        "--no-discover", no_discover_,
        "Do not trace the command: track only the --track files (e.g. with --isolate docker)");
  }

  Expected<void> apply(const bench::SessionOptions& options, setup::RunSetup& run_setup) override {
    if (attribute_ && mode_ != "cold") {
      return make_error("--attribute evicts one group of files at a time: it needs --cache cold");
    }
    if (attribute_ && !options.adaptive && options.runs < 12) {
      return make_error(
          "--attribute rotates the runs through up to 6 conditions (all cold, warm, 3 files, the rest): -r {} leaves "
          "fewer than 2 runs per condition; use -r 12 or more (a multiple of 6)",
          options.runs);
    }
    if (mode_.empty()) {
      if (!track_.empty() || rediscover_ || no_discover_ || !prefetch_.list.empty() || !prefetch_.record.empty()) {
        return make_error(
            "--track, --rediscover, --no-discover, --prefetch-list and --record-prefetch need --cache MODE (none "
            "only records residency)");
      }
      return {};
    }
    auto mode = cache::parse_cache_mode(mode_);
    if (!mode) return mode.error();
    if (no_discover_ && rediscover_)
      return make_error("--rediscover and --no-discover contradict each other");
    if (no_discover_ && track_.empty()) {
      return make_error("--no-discover leaves nothing to track: name the files with --track PATH|GLOB");
    }
    run_setup.cache = setup::CacheSetup{*mode, track_, !no_discover_, rediscover_};
    run_setup.prefetch = prefetch_;
    run_setup.attribute = attribute_;
    return {};
  }

  void describe(const setup::RunSetup&, const setup::RunHooks& hooks,
                nlohmann::json& options_json) const override {
    if (!hooks.cache) return;
    const cache::CacheSettings& settings = hooks.cache->settings();
    options_json["cache"] = {{"mode", mode_},
                             {"track", track_},
                             {"track_files", settings.track.size()},
                             {"discover", settings.discover},
                             {"rediscover", rediscover_},
                             {"discovery_cache", settings.tracking.cache_dir},
                             {"prefetch_list", prefetch_.list},
                             {"prefetch_method", prefetch_.method},
                             {"record_prefetch", prefetch_.record},
                             {"attribute", attribute_}};
  }

 private:
  std::string mode_;
  std::vector<std::string> track_;
  bool rediscover_ = false;
  bool no_discover_ = false;
  cache::PrefetchSettings prefetch_;
  bool attribute_ = false;
};

}  // namespace

std::unique_ptr<RunOptionGroup> make_cache_options() {
  return std::make_unique<CacheOptionGroup>();
}

}  // namespace coldbench::cli
