#pragma once
// The child's side of a spawn: what runs between clone and exec, and the
// control socket's conversation with it (child_start.hpp): Started, "go",
// the moment it execs, or the step that failed and why.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "proc/spawn.hpp"

namespace coldbench::proc {

// argv and envp as execve wants them, built before the clone: the child must
// not allocate on the fast path, which shares the harness's memory.
struct ExecImage {
  explicit ExecImage(const SpawnRequest& request);
  std::vector<char*> argv;
  std::vector<char*> envp;
};

// The descriptors the child starts from; marker_w is -1 without a marker pipe.
struct ChildFds {
  int devnull = -1;
  int out_w = -1;
  int err_w = -1;
  int marker_w = -1;
  int control_child = -1;  // the child's end of the control socket
  int control = -1;        // the harness's end; the child closes its copy
};

// Starts the child (see ChildProcess for which clone) and returns its pid, or
// -1 with errno. In the child: signals reset and its own process group, fds
// 0-3, the request's setup steps, cwd, PR_SET_PDEATHSIG, the report, execve.
pid_t clone_child(const SpawnRequest& request, const ExecImage& image, const ChildFds& fds);

// What the child said first: Started (pid as the child sees it), a Failure
// before it (a setup step or chdir), or nothing (it died, or never ran).
struct ExecOutcome {
  bool failed = false;
  int stage = 0;  // failures: -2 chdir, -1 exec, >= 0 index of the child setup step
  int error = 0;
  int64_t spawn_ns = 0;  // CLOCK_MONOTONIC in the child right before execve; 0: it died before reporting
};
struct StartReport {
  bool started = false;  // false and !failure.failed: EOF, the child died before reporting
  int pid = 0;           // as the child sees it (1 in a new PID namespace); 0 at EOF
  ExecOutcome failure;   // failed is set when the child reported a failure
};
// Blocks until the child's first report or EOF.
StartReport read_start(int control);
// Lets a Started child go on to take its time zero and exec.
bool send_go(int control);
// After the child is reaped: its time zero, or the exec's failure. Reads what
// is buffered; waits at most `timeout_ms` for EOF (the spawner may still hold
// a copy of the child's end for a moment after its vfork returns).
ExecOutcome read_exec_outcome(int control, int timeout_ms = 2000);

// "cannot start 'prog': joining cgroup ... failed: Permission denied".
std::string describe_exec_failure(const SpawnRequest& request, const ExecOutcome& outcome);

}  // namespace coldbench::proc
