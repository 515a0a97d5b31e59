#pragma once
// The child's side of a spawn: what runs between clone and exec, and the
// report it sends back through a close-on-exec pipe (the moment it execs, or
// the step that failed and why).

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
  int report_w = -1;
  int report_r = -1;  // the harness's end; the child closes its copy
};

// Starts the child (see ChildProcess for which clone) and returns its pid, or
// -1 with errno. In the child: signals reset and its own process group, fds
// 0-3, the request's setup steps, cwd, PR_SET_PDEATHSIG, the report, execve.
pid_t clone_child(const SpawnRequest& request, const ExecImage& image, const ChildFds& fds);

// How the exec went, read from the report pipe's read end (blocks until the
// child has exec'd, failed, or died).
struct ExecOutcome {
  bool failed = false;
  int stage = 0;  // failures: -2 chdir, -1 exec, >= 0 index of the child setup step
  int error = 0;
  int64_t spawn_ns = 0;  // CLOCK_MONOTONIC in the child right before execve; 0: it died before reporting
};
ExecOutcome read_exec_outcome(int report_r);

// "cannot start 'prog': joining cgroup ... failed: Permission denied".
std::string describe_exec_failure(const SpawnRequest& request, const ExecOutcome& outcome);

}  // namespace coldbench::proc
