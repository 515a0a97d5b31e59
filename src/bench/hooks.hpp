#pragma once
// Extension points of the run loop. Cache state, limits and isolation are
// RunHooks; file exports are ResultSinks; the progress display is a
// ProgressListener. The loop itself knows none of them by name.

#include "core/expected.hpp"
#include "core/record.hpp"
#include "proc/spawn.hpp"

namespace coldbench::bench {

class RunHook {
 public:
  virtual ~RunHook() = default;
  // Before each spawn: may adjust the request (env, argv, namespaces, child
  // setup steps) and fill record fields (e.g. residency). An error stops the session.
  virtual Expected<void> before_spawn(const CommandSpec& command, proc::SpawnRequest& request, RunRecord& record) = 0;
  // After each reap, whenever before_spawn succeeded: collect stats, clean up.
  virtual void after_reap(const proc::SpawnResult& result, RunRecord& record) = 0;
};

// Receives the results as they are produced, so nothing measured is lost.
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual Expected<void> on_run(const ResultsDocument& document, const RunRecord& run) = 0;
  virtual Expected<void> on_finish(const ResultsDocument& document) = 0;
};

class ProgressListener {
 public:
  virtual ~ProgressListener() = default;
  // Before the first run: `total` is exact, or (adaptive runs) the most the session can take.
  virtual void on_session_start(bool total_is_upper_bound) { (void)total_is_upper_bound; }
  virtual void on_run_start(int position, int total, const CommandSpec& command, bool warmup) = 0;
  virtual void on_run_end(int position, int total, const RunRecord& run) = 0;
  virtual void on_finish() = 0;
};

}  // namespace coldbench::bench
