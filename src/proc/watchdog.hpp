#pragma once
// Ends a run's processes when the harness itself dies (kill -9, the OOM
// killer), which no code in the harness can do. A tiny process, forked once
// before the first run and detached from us, holds one end of a socket; the
// harness tells it when each run starts (its process group, its environment
// tag COLDBENCH_RUN_ID=..., its cgroups) and when it has ended. The harness's
// death closes the socket: if a run was in progress, the watchdog kills the
// run's process group, every process carrying the run's tag and the
// descendants of those, and the members of the run's cgroups; then it exits.
//
// The workload itself also dies with the harness (PR_SET_PDEATHSIG, see
// spawn.cpp); the watchdog is for what it started: its process group, and
// descendants that left the group (setsid) but kept the environment.

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/fd.hpp"

namespace coldbench::proc {

struct WatchedRun {
  pid_t pgid = 0;
  std::string tag;                       // "COLDBENCH_RUN_ID=..." as in the run's environment; may be empty
  std::vector<std::string> cgroup_dirs;  // cgroups that hold the run
};

class RunWatchdog {
 public:
  // The process-wide watchdog; the first call starts it and makes this
  // process a child subreaper. Call it while the harness has one thread (the
  // session does, before any hook); spawn_and_wait calls it too.
  static RunWatchdog& instance();

  void run_started(const WatchedRun& run);
  void run_ended();
  // The watchdog's pid (0 when none runs: we are PID 1, whose death ends the
  // namespace, or it could not be started).
  pid_t pid() const { return pid_; }

 private:
  RunWatchdog();
  void send(const std::string& message);

  Fd socket_;
  pid_t pid_ = 0;
};

// The message format between harness and watchdog (one datagram each), and
// its parsing, exposed for tests.
std::string encode_run_started(const WatchedRun& run);
bool decode_message(const std::string& message, WatchedRun& run, bool& started);

}  // namespace coldbench::proc
