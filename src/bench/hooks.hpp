#pragma once
// Extension points of the run loop. Cache state, limits and isolation are
// RunHooks; file exports are ResultSinks; the progress display is a
// ProgressListener. The loop itself knows none of them by name.

#include <cassert>

#include "core/expected.hpp"
#include "core/record.hpp"
#include "proc/spawn.hpp"

namespace coldbench::bench {

// How a run ended, as its hooks see it: a reaped process, or none at all
// (an earlier hook or the spawn itself failed). A hook that was not started
// has no process to read statistics from, only its own state to undo.
class RunEnd {
 public:
  static RunEnd reaped(const proc::SpawnResult& result) { return RunEnd(&result); }
  static RunEnd not_started() { return RunEnd(nullptr); }

  bool started() const { return result_ != nullptr; }
  // Only for a run that started.
  const proc::SpawnResult& result() const { assert(result_); return *result_; }

 private:
  explicit RunEnd(const proc::SpawnResult* result) : result_(result) {}
  const proc::SpawnResult* result_;
};

class RunHook {
 public:
  virtual ~RunHook() = default;
  // Before each spawn: may adjust the request (env, argv, namespaces, child
  // setup steps) and fill record fields (e.g. residency). An error stops the session.
  virtual Expected<void> before_spawn(const CommandSpec& command, proc::SpawnRequest& request, RunRecord& record) = 0;
  // After each run whose before_spawn succeeded, started or not: collect
  // stats, clean up. An error (e.g. a run cgroup that cannot be removed) is
  // added to the run's warnings and stops the session once the run is
  // recorded: the measurement stands, but the next run would leak the same way.
  virtual Expected<void> after_run(const RunEnd& end, RunRecord& record) = 0;
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
