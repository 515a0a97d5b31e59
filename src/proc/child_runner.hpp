#pragma once
// How the run loop gets its child processes (hyperfine's Executor, in our
// terms): the session hands each SpawnRequest to a ChildRunner and records
// what comes back. ProcessRunner runs real processes (ChildProcess); the run
// loop's unit tests give the session a fake that returns scripted results and
// feeds scripted output, without spawning or sleeping.

#include "core/expected.hpp"
#include "proc/spawn.hpp"

namespace coldbench::proc {

class ChildRunner {
 public:
  virtual ~ChildRunner() = default;
  // Once before the first run, while the harness still has one thread.
  virtual void prepare() {}
  // Runs one request to completion, output to `observer`. An Error means it
  // could not start (the session stops: the next run would fail the same way);
  // a crash, a failure exit, a timeout or an interrupt is a SpawnResult.
  virtual Expected<SpawnResult> run(const SpawnRequest& request, OutputObserver& observer) = 0;
};

// Real processes: prepare() starts the run watchdog (and makes us a child
// subreaper), run() is spawn_and_wait.
class ProcessRunner final : public ChildRunner {
 public:
  void prepare() override;
  Expected<SpawnResult> run(const SpawnRequest& request, OutputObserver& observer) override;
};

// The process-wide ProcessRunner, the session's default.
ChildRunner& process_runner();

}  // namespace coldbench::proc
