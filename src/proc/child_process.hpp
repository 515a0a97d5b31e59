#pragma once
// One workload process from start to reap: started in its own process group
// with its output piped to us, waited for with a deadline and cancellation
// (SIGINT/SIGTERM to the harness), and, however it ends, its whole group and
// every orphan it left to us (we are a child subreaper) killed and reaped.
//
//   ChildProcess child(request);
//   if (auto started = child.start(); !started) ...;  // exec or a setup step failed
//   SpawnResult result = child.wait(observer);        // exit status, rusage, output tail
//
// spawn_and_wait (spawn.hpp) is these three lines; the run loop reaches them
// through a ChildRunner (child_runner.hpp), so its tests can run without processes.

#include <sys/types.h>

#include <vector>

#include "core/expected.hpp"
#include "core/fd.hpp"
#include "proc/spawn.hpp"

namespace coldbench::proc {

class RunWatchdog;

class ChildProcess {
 public:
  explicit ChildProcess(const SpawnRequest& request);  // the request must outlive the process
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills the group, ends the orphans and tells the watchdog the run is over.
  ~ChildProcess();

  // Clones the child and returns once it is about to take its time zero and
  // exec. An Error means it could not start (no pipes, clone refused, a setup
  // step failed); the child is reaped already.
  Expected<void> start();
  // Until the child is reaped: output to `observer`, the group killed at the
  // request's timeout or on an interrupt. Call once, after a successful start.
  // An Error means the exec failed (found only now: nothing of ours reads the
  // child between its time zero and its exit).
  Expected<SpawnResult> wait(OutputObserver& observer);
  // SIGKILL to the whole process group (idempotent).
  void kill_group();

  pid_t pid() const { return result_.pid; }

 private:
  void reap(int options);

  const SpawnRequest& request_;
  SpawnResult result_;
  std::vector<pid_t> children_before_;  // anything else that is our child after the run is its orphan
  RunWatchdog* watchdog_ = nullptr;      // set once the run is registered with it
  Fd pidfd_;
  Fd out_, err_, marker_;  // read ends, handed to the output capture by wait()
  // Our copies of the write ends, held until the child is reaped: its exit then
  // closes no pipe for good, so the harness wakes once (on the pidfd), not first
  // on the pipes' hang-up while the child is still exiting (bench/overhead.sh).
  Fd out_writer_, err_writer_, marker_writer_;
  Fd control_;             // our end of the child's control socket (child_start.hpp)
  int64_t go_ns_ = 0;      // when the child was let go on to its time zero
  bool reaped_ = false;
  bool killed_ = false;
};

}  // namespace coldbench::proc
