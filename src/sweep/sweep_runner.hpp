#pragma once
// Runs an experiment: every config, randomized interleaving (seeded), every
// run appended to the SQLite history as it ends, resumable after any
// interruption without repeating finished runs.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/hooks.hpp"
#include "bench/runner.hpp"
#include "cache/cache_hook.hpp"
#include "core/expected.hpp"
#include "setup/run_setup.hpp"
#include "store/history.hpp"
#include "sweep/experiment.hpp"

namespace coldbench::sweep {

// The limits, isolation and cache settings of one config (sweep/config_setup.cpp).
Expected<setup::RunSetup> config_setup(const ConfigSpec& config);

struct SweepOptions {
  std::string db_path;
  bool resume = false;
  bool show_output = false;
  std::vector<bench::ResultSink*> extra_sinks;  // e.g. a --json export
  // A shard of a larger study: sweep/shard.hpp's shard_record, kept in the
  // session's options as "shard"; null for a whole study.
  nlohmann::json shard;
  bench::ProgressListener* progress = nullptr;
  // What the configs' hooks report before and during the runs (notes on
  // cgroups, discovery started, a global cache drop); the CLI shows it.
  cache::CacheNotice notice = [](const std::string&) {};
};

struct SweepOutcome {
  int64_t session_id = 0;
  bool resumed = false;
  // --resume found the experiment's latest session finished: nothing ran.
  std::optional<store::SessionInfo> nothing_to_resume;
  bool started_new = false;  // --resume found no session of the experiment and started one
  int resumed_runs = 0;  // runs that were already done before this invocation
  bench::SessionOutcome outcome;
  ResultsDocument document;
};

// Opens the history for writing, checks it can record runs, and runs the
// session under its lock (store/session_lock.hpp). With `resume`: the
// experiment's latest session if it is unfinished, nothing when it finished,
// a new session when there is none.
Expected<SweepOutcome> run_sweep(const Experiment& experiment, const SweepOptions& options);

// The CommandSpecs and bench options an experiment runs with (also for --dry-run).
std::vector<CommandSpec> experiment_commands(const Experiment& experiment);
Expected<bench::SessionOptions> experiment_session_options(const Experiment& experiment);

}  // namespace coldbench::sweep
