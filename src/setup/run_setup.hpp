#pragma once
// One way to assemble a run: the resolved limits, isolation and cache
// settings of a `coldbench run` or of one sweep config (RunSetup), and the
// one function that turns them into run hooks, in the one order they run.
// The CLI and experiment files differ only in how they fill a RunSetup.

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/hooks.hpp"
#include "cache/cache_hook.hpp"
#include "core/expected.hpp"
#include "isolate/isolation_spec.hpp"
#include "limits/limit_spec.hpp"
#include "limits/limits_hook.hpp"

namespace coldbench::setup {

struct CacheSetup {
  cache::CacheMode mode = cache::CacheMode::None;
  std::vector<std::string> track;  // PATH|GLOB, relative ones from RunSetup::cwd
  bool discover = true;            // trace each command once to find its files
  bool rediscover = false;         // ignore the discovery cache
};

struct RunSetup {
  limits::LimitSpec limits;
  isolate::IsolationSpec isolation;
  std::optional<CacheSetup> cache;  // none: no cache hook, no residency recorded
  // With a cache setup (kept out of CacheSetup, which callers brace-initialise):
  cache::PrefetchSettings prefetch;  // cold+prefetch's list, --record-prefetch
  bool attribute = false;            // --attribute (cold only)
  // The user's environment settings, in order: a sandbox or a container
  // passes them on, and they must not fight the limits' thread variables.
  std::vector<std::pair<std::string, std::string>> env;
  bool markers = true;  // runs get marker variables
  bool loader_stats = false;  // LD_DEBUG=statistics per run (loader/loader_hook.hpp)
  std::string cwd;      // the harness's own directory: relative --track paths
};

// The hooks of one RunSetup. They run around each spawn in in_order():
// limits first (a container engine is given the limits it resolved), then
// isolation, then the loader's report, then cache state last, so nothing touches the page cache
// between its eviction or warming and the spawn.
struct RunHooks {
  std::unique_ptr<limits::LimitsHook> limits;  // always: it records effective CPUs
  std::unique_ptr<bench::RunHook> isolation;   // none for host isolation
  std::unique_ptr<bench::RunHook> loader;      // --loader-stats
  std::unique_ptr<cache::CacheStateHook> cache;
  // What the user should know before the first run (stale cgroups removed, ...).
  std::vector<std::string> notes;

  std::vector<bench::RunHook*> in_order() const;
};

// Checks every setting that would fail every run alike (bad limits, missing
// rights, an engine or image that is not there) before any run. `notice`
// receives what the cache hook reports while it works (discovery started, a
// global drop); the caller decides how to show it.
Expected<RunHooks> make_run_hooks(const RunSetup& setup, cache::CacheNotice notice);

// The directory relative paths are taken from (getcwd; "/" if it has gone).
std::string current_directory();

}  // namespace coldbench::setup
