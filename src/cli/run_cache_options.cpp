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
           "needed), drop (sync and drop_caches for the whole machine; root). Files come from a "
           "traced discovery run plus --track; every run records their residency (docs/cache.md)")
        ->check(CLI::IsMember({"none", "warm", "cold", "drop"}));
    sub.add_option("--track", track_,
                   "PATH|GLOB: also track these files (repeatable; directories are recursed, "
                   "globs allow {a,b}; relative to the current directory)");
    sub.add_flag("--rediscover", rediscover_,
                 "Trace the command again instead of using the discovery cache");
    sub.add_flag(
        "--no-discover", no_discover_,
        "Do not trace the command: track only the --track files (e.g. with --isolate docker)");
  }

  Expected<void> apply(const bench::SessionOptions&, setup::RunSetup& run_setup) override {
    if (mode_.empty()) {
      if (!track_.empty() || rediscover_ || no_discover_) {
        return make_error(
            "--track, --rediscover and --no-discover need --cache MODE (none only records "
            "residency)");
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
                             {"discovery_cache", settings.tracking.cache_dir}};
  }

 private:
  std::string mode_;
  std::vector<std::string> track_;
  bool rediscover_ = false;
  bool no_discover_ = false;
};

}  // namespace

std::unique_ptr<RunOptionGroup> make_cache_options() {
  return std::make_unique<CacheOptionGroup>();
}

}  // namespace coldbench::cli
