// The RunSetup of one sweep config: the same settings `coldbench run` takes
// from its flags, here from the experiment file; setup::make_run_hooks turns
// either into hooks.

#include "setup/run_setup.hpp"
#include "sweep/sweep_runner.hpp"

namespace coldbench::sweep {

Expected<setup::RunSetup> config_setup(const ConfigSpec& config) {
  setup::RunSetup run_setup;
  run_setup.cwd = setup::current_directory();
  auto isolation = isolate::make_isolation_spec(config.isolation, config.image, config.mounts, run_setup.cwd);
  if (!isolation) return isolation.error();
  run_setup.isolation = std::move(isolation).value();
  run_setup.limits = config.limits;
  run_setup.env = config.env;
  run_setup.markers = true;
  if (config.cache != "none" || !config.track.empty()) {
    auto mode = cache::parse_cache_mode(config.cache);
    if (!mode) return mode.error();
    // A container run is traced on the host where its image sees the host's
    // files (the cache hook decides); otherwise its --track files are all there is.
    setup::CacheSetup cache;
    cache.mode = *mode;
    cache.track = config.track;
    run_setup.cache = std::move(cache);  // discovers, uses the discovery cache; cold+prefetch records in a warmup
  }
  return run_setup;
}

}  // namespace coldbench::sweep
