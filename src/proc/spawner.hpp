#pragma once
// Workloads started from a small address space, for two reasons measured on
// this harness (bench/overhead.sh, tests/unit/proc/spawn_rss_test.cpp):
// fork() copies the harness's page tables, and the exec then tears that copy
// down inside the run's wall time; and the child's ru_maxrss starts at the
// harness's resident anonymous memory, so a small workload reports the
// harness's size. vfork/posix_spawn avoid the copy, but the kernel then
// records the harness's *peak* RSS as the child's at exec.
//
// The spawner is a tiny static program (coldbench-spawner) the harness starts
// once and keeps: it clones each workload with CLONE_VM|CLONE_VFORK from its
// own few hundred KiB, and with CLONE_PARENT, so the workload is still the
// harness's child: wait4 and its rusage, the pidfd, $PPID, the process group
// and the subreaper's orphans are all as with fork.
//
// Only requests without child setup steps or namespace flags use it: those
// steps are the harness's code and objects, so such runs keep the harness's
// own fork/clone (child_exec.hpp). Found at $COLDBENCH_SPAWNER, else beside
// the running binary; COLDBENCH_SPAWNER=off, or no such program, means fork.

#include <sys/types.h>

#include <optional>

#include "proc/child_exec.hpp"
#include "core/fd.hpp"
#include "proc/spawn.hpp"

namespace coldbench::proc {

class Spawner {
 public:
  // The process-wide spawner, started on first use; nullptr when there is none.
  static Spawner* get();
  // Ends it (it is our child: cache discovery's tracer waits until we have none).
  static void stop();
  // The program get() starts: $COLDBENCH_SPAWNER, else coldbench-spawner
  // beside the running binary ("off" or empty: none, runs fork).
  static std::string program_path();

  // Asks for the request's child (a child of ours, started from the
  // spawner's address space; it reports on fds.control_child). False when the
  // spawner has gone: it is ended, and the caller forks instead.
  bool request(const SpawnRequest& request, const ChildFds& fds);
  // The answer to the last request, which comes once the child has exec'd or
  // died: its pid, or -1 with errno when the clone failed; nullopt when the
  // spawner has gone. A request whose answer was not taken has it taken (and
  // dropped) by the next request, so a run need not wake up for it.
  std::optional<pid_t> reply();
  // Readable when the answer is in (or the spawner has gone).
  int socket() const { return socket_.get(); }

  pid_t pid() const { return pid_; }

  Spawner(Fd socket, pid_t pid) : socket_(std::move(socket)), pid_(pid) {}
  ~Spawner();

 private:
  Fd socket_;
  pid_t pid_;
  int unanswered_ = 0;  // requests whose reply has not been read
};

}  // namespace coldbench::proc
